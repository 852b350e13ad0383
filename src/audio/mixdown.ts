/** Mixing multi-channel audio down to mono. */

/**
 * Average the channels into one. A single channel is returned as is (no
 * copy); averaging rather than summing keeps full-scale input in [-1, 1].
 * @param channels planar channels of equal length (at least one)
 */
export function mixToMono(channels: readonly Float32Array[]): Float32Array {
  const first = channels[0];
  if (first === undefined) throw new RangeError('mixToMono: no channels');
  if (channels.length === 1) return first;
  const frames = first.length;
  for (const channel of channels) {
    if (channel.length !== frames) throw new RangeError('mixToMono: channels differ in length');
  }
  const mono = new Float32Array(frames);
  if (channels.length === 2) {
    const right = channels[1] as Float32Array;
    for (let i = 0; i < frames; i++) mono[i] = ((first[i] as number) + (right[i] as number)) * 0.5;
    return mono;
  }
  const sum = new Float64Array(frames);
  for (const channel of channels) {
    for (let i = 0; i < frames; i++) sum[i] = (sum[i] as number) + (channel[i] as number);
  }
  const scale = 1 / channels.length;
  for (let i = 0; i < frames; i++) mono[i] = (sum[i] as number) * scale;
  return mono;
}
