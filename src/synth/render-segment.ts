/**
 * Source-filter synthesis of one segment: glottal pulses (with jitter,
 * shimmer, tremolo and the accent contour on the pitch) mixed with
 * aspiration noise, tilted, shaped by four formants, enveloped, and scaled
 * to the segment's level.
 */
import type { Rng } from '../util/rng.js';
import type { Segment } from './burst-plans.js';
import { FormantCascade, FORMANT_COUNT } from './formants.js';
import { rosenbergFlow } from './glottal.js';
import type { VoiceControls } from './voice-controls.js';

/** Samples between pitch and formant updates (2 ms at 16 kHz): smooth enough, much cheaper than per sample. */
const CONTROL_BLOCK = 32;

/** Formant bandwidths in Hz before breathiness widens them. */
const BANDWIDTHS: readonly number[] = [90, 110, 160, 240];

/** Rate of the amplitude pulsing that amusement adds to voiced segments, Hz. */
const PULSING_RATE = 5;

/**
 * Render `segment` and add it into `out` at its start time.
 *
 * @param out the clip's buffer at `sampleRate`; samples past its end are dropped.
 */
export function renderSegment(
  out: Float32Array,
  sampleRate: number,
  segment: Segment,
  ctl: VoiceControls,
  rng: Rng,
): void {
  const offset = Math.round(segment.start * sampleRate);
  const n = Math.min(Math.round(segment.duration * sampleRate), out.length - offset);
  if (n <= 0) return;
  const buf = new Float32Array(n);
  const filter = new FormantCascade(sampleRate);
  const shift = ctl.accent.formantShift;
  const voiced = segment.voicing >= 0.5;
  const voicedShare = segment.voicing * (1 - ctl.breathiness);
  const noiseShare = 1 - voicedShare;
  const jitter = ctl.jitter * segment.roughness;
  const shimmer = ctl.shimmer * segment.roughness;
  const logStart = Math.log(ctl.f0 * segment.f0Start);
  const logEnd = Math.log(ctl.f0 * segment.f0End);
  const widen = 1 + 0.6 * ctl.breathiness;
  const oq = ctl.openQuotient;
  const attack = Math.max(1, Math.round(segment.attack * sampleRate));
  const release = Math.max(1, Math.round(segment.release * sampleRate));
  const pulsing = voiced ? ctl.pulsing : 0;

  let phase = 0;
  let prevFlow = 0;
  let periodJitter = 1;
  let periodShimmer = 1;
  let tilted = 0;
  let f0 = ctl.f0;
  for (let i = 0; i < n; i++) {
    if (i % CONTROL_BLOCK === 0) {
      const u = i / n;
      const t = i / sampleRate;
      // Pitch: the segment's own path, the clip's valence/sadness glide, the
      // accent's contour shape, the surprise onset jump and fear's tremolo.
      let logF0 = logStart + (logEnd - logStart) * u;
      if (voiced) {
        logF0 += ctl.glide * (u - 0.5) + ctl.accentDepth * ctl.accent.contour(u) + ctl.onsetJump * Math.exp(-t / 0.06);
      }
      logF0 += ctl.tremoloDepth * Math.sin(2 * Math.PI * ctl.tremoloRate * t);
      f0 = Math.exp(logF0);
      for (let k = 0; k < FORMANT_COUNT; k++) {
        const from = segment.formantsStart[k as 0 | 1 | 2 | 3];
        const to = segment.formantsEnd[k as 0 | 1 | 2 | 3];
        const accentShift = k < 3 ? (shift[k as 0 | 1 | 2] as number) : 1;
        filter.tune(k, (from + (to - from) * u) * ctl.formantScale * accentShift, (BANDWIDTHS[k] as number) * widen);
      }
    }
    phase += (f0 * periodJitter) / sampleRate;
    if (phase >= 1) {
      phase -= 1;
      periodJitter = 1 + jitter * rng.normal();
      periodShimmer = Math.max(0, 1 + shimmer * rng.normal());
    }
    const flow = rosenbergFlow(phase, oq);
    // Normalised flow derivative: the same pulse shape whatever the pitch.
    const pulse = (flow - prevFlow) * (sampleRate / f0) * periodShimmer;
    prevFlow = flow;
    const white = (rng.next() - 0.5) * 3.4641016; // uniform, unit variance
    // Aspiration is louder while the folds are open, as in real breathy voice.
    const aspiration = white * (voiced ? 0.4 + 0.6 * flow : 1);
    const source = 0.3 * voicedShare * pulse + 0.5 * noiseShare * aspiration;
    tilted = (1 - ctl.tilt) * source + ctl.tilt * tilted;
    let env = 1;
    if (i < attack) env = 0.5 - 0.5 * Math.cos((Math.PI * i) / attack);
    const left = n - 1 - i;
    if (left < release) env *= 0.5 - 0.5 * Math.cos((Math.PI * left) / release);
    if (pulsing > 0) env *= 1 - pulsing * (0.5 - 0.5 * Math.cos((2 * Math.PI * PULSING_RATE * i) / sampleRate));
    buf[i] = filter.process(tilted) * env;
  }

  let energy = 0;
  for (let i = 0; i < n; i++) energy += (buf[i] as number) ** 2;
  const rms = Math.sqrt(energy / n);
  if (!(rms > 0)) return;
  const gain = (segment.amplitude * ctl.level) / rms;
  for (let i = 0; i < n; i++) out[offset + i] = (out[offset + i] as number) + (buf[i] as number) * gain;
}
