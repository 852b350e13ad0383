/** Pooling frame sequences into one vector per clip. */
import { type Tensor, arange, noGrad, scope } from '../torch/index.js';

/**
 * Mean over the valid frames of each sequence: frames [B, F, H] with
 * frameLengths [B] (int64) → [B, H]. Padding frames never enter the mean; a
 * clip with no valid frame pools to zeros.
 */
export function maskedMeanPool(frames: Tensor, frameLengths: Tensor): Tensor {
  const [, numFrames] = frames.shape;
  if (frames.ndim !== 3 || frameLengths.ndim !== 1 || frameLengths.shape[0] !== frames.shape[0]) {
    throw new RangeError(`maskedMeanPool: expected frames [B, F, H] and lengths [B], got [${frames.shape}] and [${frameLengths.shape}]`);
  }
  // A scope, so that only the result outlives the call wherever it is made.
  return scope(() => {
    const mask = noGrad(() =>
      arange(numFrames!, undefined, 1, { device: frames.device }).unsqueeze(0).lt(frameLengths.unsqueeze(1)).to(frames.dtype),
    ); // [B, F]
    const summed = frames.mul(mask.unsqueeze(2)).sum(1); // [B, H]
    const counts = mask.sum(1, true).clamp(1); // [B, 1]
    return summed.div(counts);
  });
}
