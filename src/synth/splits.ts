/**
 * Speaker-disjoint split assignment, as in the challenges: every clip of a
 * speaker lands in the same split, so validation measures generalisation to
 * unseen voices.
 */
import { COUNTRIES, SPLITS, type Split } from '../tasks.js';
import type { Rng } from '../util/rng.js';
import type { SplitFractions } from './options.js';
import type { SynthSpeaker } from './speakers.js';

/**
 * Set `split` on every speaker so that each split's share of clips is close
 * to `fractions`. Speakers are assigned country by country (each country's
 * clips are divided in the same proportions), so every split sees every
 * country whenever that country has enough speakers. Within a country, each
 * speaker goes to the split furthest below its target, relative to that
 * target; this also gives every split with a non-zero fraction at least one
 * speaker as long as there are enough speakers.
 *
 * @param clipCounts clips per speaker, indexed by speaker index.
 */
export function assignSpeakerSplits(
  speakers: SynthSpeaker[],
  clipCounts: readonly number[],
  fractions: SplitFractions,
  rng: Rng,
): void {
  const active = SPLITS.filter((s) => fractions[s] > 0);
  const assigned: Record<Split, number> = { Train: 0, Val: 0, Test: 0 };
  const targets: Record<Split, number> = { Train: 0, Val: 0, Test: 0 };
  const total = clipCounts.reduce((a, b) => a + b, 0);

  // Countries in a random order, speakers shuffled within each; the running
  // totals carry over between countries so the global shares stay on target.
  const countryOrder = rng.shuffle(COUNTRIES.map((_, i) => i));
  let seen = 0;
  for (const country of countryOrder) {
    const group = rng.shuffle(speakers.filter((s) => s.country === country));
    // Larger speakers first: the small ones then even out the remainders.
    group.sort((a, b) => (clipCounts[b.index] ?? 0) - (clipCounts[a.index] ?? 0));
    const groupClips = group.reduce((a, s) => a + (clipCounts[s.index] ?? 0), 0);
    seen += groupClips;
    for (const split of active) targets[split] = fractions[split] * seen;
    for (const speaker of group) {
      let best: Split = active[0] as Split;
      let bestDeficit = -Infinity;
      for (const split of active) {
        const deficit = (targets[split] - assigned[split]) / (fractions[split] * total);
        if (deficit > bestDeficit) {
          bestDeficit = deficit;
          best = split;
        }
      }
      speaker.split = best;
      assigned[best] += clipCounts[speaker.index] ?? 0;
    }
  }
  ensureEverySplitUsed(speakers, clipCounts, active);
}

/**
 * With very few speakers the greedy pass can leave a split empty; move the
 * smallest speaker of the most crowded split there (repeat as needed).
 */
function ensureEverySplitUsed(speakers: SynthSpeaker[], clipCounts: readonly number[], active: readonly Split[]): void {
  for (const empty of active) {
    if (speakers.some((s) => s.split === empty)) continue;
    const counts = new Map<Split, number>(active.map((s) => [s, speakers.filter((p) => p.split === s).length]));
    const donorSplit = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    const donors = speakers.filter((s) => s.split === donorSplit);
    if (donors.length < 2) continue; // not enough speakers to fill every split
    donors.sort((a, b) => (clipCounts[a.index] ?? 0) - (clipCounts[b.index] ?? 0));
    (donors[0] as SynthSpeaker).split = empty;
  }
}
