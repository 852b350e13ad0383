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

/** How clips are pooled: the mean over each clip's frames, or over all frames of a fixed zero-padded length (see Backbone.paddedPooled). */
export interface PoolingOptions {
  /** Pad every row to this many samples and average all frames, padding included. */
  padTo?: number;
}

/** [B, H] pooled features of the batch's clips. */
export function encodeClips(backbone: Backbone, batch: DeviceBatch, who: string, pooling: PoolingOptions = {}): Tensor {
  const { waveforms, lengths } = batch;
  if (!waveforms || !lengths) throw new TorchError(`${who}: the batch has no audio`);
  const pool = (w: Tensor, n: Tensor): Tensor => (pooling.padTo === undefined ? backbone.pooled(w, n) : backbone.paddedPooled(w, n, pooling.padTo));
  return scope(() => {
    const rows = waveforms.shape[0]!;
    const perPass = Math.max(1, Math.min(rows, batch.rowsPerPass ?? rows));
    let pooled: Tensor;
    if (perPass >= rows) {
      pooled = pool(waveforms, lengths);
    } else {
      const parts: Tensor[] = [];
      for (let start = 0; start < rows; start += perPass) {
        const n = Math.min(perPass, rows - start);
        parts.push(pool(waveforms.narrow(0, start, n), lengths.narrow(0, start, n)));
      }
      pooled = cat(parts, 0);
    }
    return batch.segmentWeights ? batch.segmentWeights.matmul(pooled.float()) : pooled;
  });
}
