/**
 * Pooled backbone features per clip of a batch, whatever its rows are:
 * whole clips, training crops, or the windows that cover a long clip. Rows
 * go through the backbone in passes of at most `rowsPerPass` (memory stays
 * bounded however many windows a clip has); a clip spanning several rows
 * gets the length-weighted mean of its rows' pooled features, which for
 * mean pooling is the mean over all its frames up to window edges.
 */
import { type Tensor, TorchError, cat, scope } from '../torch/index.js';
import type { Backbone } from './backbone.js';
import type { DeviceBatch } from './multitask-model.js';

/** [B, H] pooled features of the batch's clips. */
export function encodeClips(backbone: Backbone, batch: DeviceBatch, who: string): Tensor {
  const { waveforms, lengths } = batch;
  if (!waveforms || !lengths) throw new TorchError(`${who}: the batch has no audio`);
  return scope(() => {
    const rows = waveforms.shape[0]!;
    const perPass = Math.max(1, Math.min(rows, batch.rowsPerPass ?? rows));
    let pooled: Tensor;
    if (perPass >= rows) {
      pooled = backbone.pooled(waveforms, lengths);
    } else {
      const parts: Tensor[] = [];
      for (let start = 0; start < rows; start += perPass) {
        const n = Math.min(perPass, rows - start);
        parts.push(backbone.pooled(waveforms.narrow(0, start, n), lengths.narrow(0, start, n)));
      }
      pooled = cat(parts, 0);
    }
    return batch.segmentWeights ? batch.segmentWeights.matmul(pooled.float()) : pooled;
  });
}
