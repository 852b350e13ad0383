/** The per-utterance waveform normalisation some checkpoints were trained with. */
import { type Tensor, arange, noGrad, scope } from '../torch/index.js';

/**
 * Zero mean and unit variance per clip over its valid samples, padding kept
 * at zero: (x − mean) / √(var + 1e−7) with the population variance, as
 * Hugging Face's feature extractors do when `do_normalize` is set (and
 * fairseq's `task.normalize`). waveforms [B, T], lengths [B] int64.
 */
export function normalizeWaveforms(waveforms: Tensor, lengths: Tensor): Tensor {
  // A scope, so that only the result outlives the call wherever it is made.
  return noGrad(() => scope(() => {
    const [, samples] = waveforms.shape;
    const mask = arange(samples!, undefined, 1, { device: waveforms.device }).unsqueeze(0).lt(lengths.unsqueeze(1)).to(waveforms.dtype);
    const n = mask.sum(1, true).clamp(1);
    const mean = waveforms.mul(mask).sum(1, true).div(n);
    const centred = waveforms.sub(mean).mul(mask);
    const variance = centred.square().sum(1, true).div(n);
    return centred.div(variance.add(1e-7).sqrt());
  }));
}
