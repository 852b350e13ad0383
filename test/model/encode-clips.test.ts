/**
 * Pooled features of clips split over several rows (the windows of a long
 * clip): the length-weighted mean of the rows' pooled features, the same
 * whether the backbone takes the rows in one pass or a few at a time.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Backbone } from '../../src/model/backbone.js';
import { encodeClips } from '../../src/model/encode-clips.js';
import { segmentWeightMatrix } from '../../src/run/device-batch.js';
import * as T from '../../src/torch/index.js';
import { tinyBackbone } from '../fixtures/backbones.js';

let file: string;
beforeAll(async () => {
  file = await tinyBackbone('data2vec', { hiddenDropout: 0, attentionDropout: 0, activationDropout: 0, featProjDropout: 0, layerdrop: 0 });
}, 300_000);

describe('encodeClips', () => {
  it('averages a clip\'s windows by length, in one pass or in several', () => {
    using backbone = Backbone.load(file);
    backbone.eval();
    // Clip 0 spans rows 0 and 2 (8000 + 4000 samples), clip 1 is row 1 (6000).
    const lengths = Int32Array.from([8000, 6000, 4000]);
    const segmentClip = Int32Array.from([0, 1, 0]);
    const rng = new (class {
      s = 1;
      next(): number {
        this.s = (this.s * 1103515245 + 12345) % 2147483648;
        return this.s / 2147483648 - 0.5;
      }
    })();
    const data = Float32Array.from({ length: 3 * 8000 }, (_, i) => ((i % 8000) < lengths[Math.floor(i / 8000)]! ? rng.next() : 0));
    T.noGrad(() =>
      T.scope(() => {
        const waveforms = T.tensor(data, { shape: [3, 8000] });
        const l = T.tensor(lengths, { shape: [3], dtype: 'int64' });
        const weights = T.tensor(segmentWeightMatrix(segmentClip, lengths, 2), { shape: [2, 3] });
        const rows = backbone.pooled(waveforms, l).toArray() as Float32Array;
        const h = rows.length / 3;
        const onePass = encodeClips(backbone, { ids: ['a', 'b'], size: 2, audioSeconds: 1, waveforms, lengths: l, segmentWeights: weights, targets: {} }, 'test');
        const chunked = encodeClips(
          backbone,
          { ids: ['a', 'b'], size: 2, audioSeconds: 1, waveforms, lengths: l, segmentWeights: weights, rowsPerPass: 1, targets: {} },
          'test',
        );
        expect(onePass.shape).toEqual([2, h]);
        const a = onePass.toArray() as Float32Array;
        const b = chunked.toArray() as Float32Array;
        for (let j = 0; j < h; j++) {
          expect(a[j]).toBeCloseTo((8000 * rows[j]! + 4000 * rows[2 * h + j]!) / 12000, 5);
          expect(a[h + j]).toBeCloseTo(rows[h + j]!, 5);
          expect(b[j]).toBeCloseTo(a[j]!, 5);
          expect(b[h + j]).toBeCloseTo(a[h + j]!, 5);
        }
      }),
    );
  });
});
