/**
 * Confusion counts: the sufficient statistic of UAR and accuracy. Integer
 * counts merge exactly, so shards add up to the single-pass result.
 */

/** Plain-data (JSON-safe) confusion counts over `numClasses` classes. */
export interface ConfusionStats {
  /** Number of classes. */
  numClasses: number;
  /** Row-major counts: counts[t * numClasses + p] = pairs with true class t predicted as p. */
  counts: number[];
}

/** An all-zero confusion matrix. */
export function emptyConfusion(numClasses: number): ConfusionStats {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`confusion: numClasses must be a positive integer, got ${numClasses}`);
  }
  return { numClasses, counts: new Array<number>(numClasses * numClasses).fill(0) };
}

function checkClass(value: number, numClasses: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value >= numClasses) {
    throw new RangeError(`confusion: ${what} class ${value} is not an integer in [0, ${numClasses})`);
  }
}

/**
 * Count one (true, predicted) pair in place.
 * @throws RangeError if either is not a class index.
 */
export function addToConfusion(c: ConfusionStats, trueClass: number, predictedClass: number): void {
  checkClass(trueClass, c.numClasses, 'true');
  checkClass(predictedClass, c.numClasses, 'predicted');
  const k = trueClass * c.numClasses + predictedClass;
  c.counts[k] = (c.counts[k] ?? 0) + 1;
}

/**
 * Confusion counts of predicted vs true class indices, keeping sample i where
 * `mask` (if given) is truthy.
 */
export function confusionOf(
  predicted: ArrayLike<number>,
  target: ArrayLike<number>,
  numClasses: number,
  mask?: ArrayLike<number | boolean>,
): ConfusionStats {
  if (predicted.length !== target.length) {
    throw new RangeError(`confusion: lengths differ (${predicted.length} vs ${target.length})`);
  }
  if (mask !== undefined && mask.length !== target.length) {
    throw new RangeError(`confusion: mask length ${mask.length} differs from data length ${target.length}`);
  }
  const c = emptyConfusion(numClasses);
  for (let i = 0; i < target.length; i++) {
    if (mask !== undefined && !mask[i]) continue;
    addToConfusion(c, target[i] as number, predicted[i] as number);
  }
  return c;
}

/** Sum of two confusion matrices over the same classes (pure). */
export function mergeConfusion(a: ConfusionStats, b: ConfusionStats): ConfusionStats {
  if (a.numClasses !== b.numClasses || a.counts.length !== b.counts.length) {
    throw new RangeError(`confusion: cannot merge ${a.numClasses} classes with ${b.numClasses}`);
  }
  return { numClasses: a.numClasses, counts: a.counts.map((v, i) => v + (b.counts[i] ?? 0)) };
}

/** Per true class: number of samples (row sums). */
export function classSupport(c: ConfusionStats): number[] {
  const support = new Array<number>(c.numClasses).fill(0);
  for (let t = 0; t < c.numClasses; t++) {
    for (let p = 0; p < c.numClasses; p++) support[t] = (support[t] ?? 0) + (c.counts[t * c.numClasses + p] ?? 0);
  }
  return support;
}

/** Per predicted class: number of predictions (column sums). */
export function predictedCounts(c: ConfusionStats): number[] {
  const out = new Array<number>(c.numClasses).fill(0);
  for (let t = 0; t < c.numClasses; t++) {
    for (let p = 0; p < c.numClasses; p++) out[p] = (out[p] ?? 0) + (c.counts[t * c.numClasses + p] ?? 0);
  }
  return out;
}

/** The counts as a numClasses × numClasses matrix, rows = true class. */
export function confusionMatrix(c: ConfusionStats): number[][] {
  const rows: number[][] = [];
  for (let t = 0; t < c.numClasses; t++) rows.push(c.counts.slice(t * c.numClasses, (t + 1) * c.numClasses));
  return rows;
}

/** Total number of counted samples. */
export function confusionTotal(c: ConfusionStats): number {
  return c.counts.reduce((s, v) => s + v, 0);
}

/**
 * Arg-max class of each row of an n × numClasses score matrix (logits or
 * probabilities, row-major); ties go to the lowest index, as torch.argmax.
 * @throws RangeError if the length is not a multiple of numClasses or a score is NaN.
 */
export function argmaxRows(scores: ArrayLike<number>, numClasses: number): Int32Array {
  if (numClasses < 1 || scores.length % numClasses !== 0) {
    throw new RangeError(`argmax: ${scores.length} scores are not rows of ${numClasses}`);
  }
  const n = scores.length / numClasses;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestValue = -Infinity;
    for (let k = 0; k < numClasses; k++) {
      const v = scores[i * numClasses + k] as number;
      if (Number.isNaN(v)) throw new RangeError(`argmax: NaN score at row ${i}, class ${k}`);
      if (v > bestValue) {
        bestValue = v;
        best = k;
      }
    }
    out[i] = best;
  }
  return out;
}
