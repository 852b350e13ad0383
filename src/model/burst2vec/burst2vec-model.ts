/**
 * Recipe B (seed 001): Burst2Vec, adversarial multitask learning.
 *
 *   backbone → masked mean pooling → projection ─┬─ shared extractor ──── s
 *                                                └─ specific extractor t ─ r_t   (one per task)
 *
 * Output losses (Eq. 5). Each task's head runs three passes, on s, on r_t
 * and on c_t = concatProjection_t([s, r_t]); for task j
 *
 *   L_O^j = L_j(head_j(s)) + L_j(head_j(r_j)) + L_j(head_j(c_j)).
 *
 * Adversarial debiasing (Sec. 3.4), for a batch of task j:
 *
 *   L_D^j   = CE(discriminator(GRL(s)), j)                      (Eq. 6)
 *   L_Adv^j = Σ_{t ≠ j} L_j(head_j(GRL(r_t)))                   (Eq. 7)
 *
 * where GRL is a gradient reversal layer with factor λ
 * (`reversalFactor`, default 1): the identity forward, −λ × the gradient
 * backward.
 *
 * Sign convention. The paper writes the objective as
 *
 *   L^j = L_O^j − α1·L_D^j − α2·L_Adv^j                        (Eq. 8)
 *
 * and means a minimax game: the discriminator and the heads (as
 * adversaries on other tasks' features) *descend* L_D and L_Adv, while the
 * extractors *ascend* them. What this model back-propagates is
 *
 *   total = L_O^j + α1·L_D^j + α2·L_Adv^j
 *
 * (all plus signs), and the reversal layers supply the minus:
 * - discriminator parameters get  +α1·∂L_D/∂θ     (they learn to tell tasks apart);
 * - head j's parameters get       ∂L_O/∂θ + α2·∂L_Adv/∂θ (they learn task j from
 *   any features, including other tasks' specific ones);
 * - what lies before a reversal layer (the shared extractor for L_D; the
 *   specific extractors t ≠ j for L_Adv; see `reverseInto` below for the
 *   projection and backbone) gets −λ·α·∂L/∂θ, so it moves *up* those
 *   losses. With λ = 1 the extractors' gradient is exactly ∂L^j/∂θ of
 *   Eq. 8.
 * So gradient descent on `total` performs the paper's update, and
 * `alpha1 = alpha2 = 0` gives exactly the "-Adv" gradients (the terms are
 * still computed, multiplied by zero). test/recipe-b checks these signs
 * against finite differences.
 *
 * How far the reversed gradients reach (`reverseInto`). The paper names
 * the extractors as what ascends L_D and L_Adv. With `'extractors'` (the
 * default) the adversarial terms are computed from the extractors applied
 * to detached projected features, so only the extractors (and the
 * adversaries) learn from them; the projection and backbone learn from L_O
 * alone. With `'backbone'` the reversal layers sit in the one graph and the
 * projection and backbone ascend too, as in DANN; there, L_Adv asks the
 * projection, which every extractor reads, to drop each task's
 * information; on the synthetic demo that undid most of what the heads
 * learned (emotion CCC 0.13 at best, country at chance, against 0.42 and
 * 0.35 with 'extractors').
 *
 * Batches. Training batches hold one task (`batch.task`, tasks in
 * rotation): the loss is the objective above for that task only, even
 * when the batch carries labels of other tasks. Mixed batches (validation,
 * or training without task rotation) have no single task for the
 * discriminator to name, so their loss is the prediction loss
 * Σ_t L_O^t over the tasks with labels, without adversarial terms; the
 * validation loss thus measures prediction alone and compares between the
 * adversarial and "-Adv" variants.
 *
 * Predictions come from the head pass named by `predictFrom`: by default
 * the concatenation pass c_t, the one that sees both the shared and the
 * task's own features (the paper trains all three passes so that each
 * representation works alone, and does not say which one it submitted).
 */
import type { Burst2VecModelConfig } from '../../config/schema.js';
import { TASK_SPECS, type Task } from '../../tasks.js';
import type { TaskLossFn } from '../../losses/index.js';
import { crossEntropyLoss } from '../../losses/index.js';
import { type Device, type Tensor, TorchError, cat, full, gradReverse, scope } from '../../torch/index.js';
import type { Backbone } from '../backbone.js';
import { pickClassWeights } from '../class-weights.js';
import { encodeClips } from '../encode-clips.js';
import type { DeviceBatch, DeviceTargets, EvaluationOutput, LossOutput, MultitaskModel, TaskPredictionTensors } from '../multitask-model.js';
import { Burst2VecHead } from './burst2vec-head.js';
import { type Burst2VecLossOptions, burst2vecTaskLoss } from './burst2vec-losses.js';

/** The three inputs each output head runs on. */
export const HEAD_PASSES = ['shared', 'specific', 'concat'] as const;
export type HeadPass = (typeof HEAD_PASSES)[number];

/** Features after the extractors. */
interface Extracted {
  shared: Tensor;
  specific: Map<Task, Tensor>;
}

/** The projected pooled features and the extractors' outputs, computed once per batch. */
interface Projected {
  projected: Tensor;
  f: Extracted;
}

/** The parts of a batch's objective, with gradients (see the module comment). */
export interface Burst2VecLossTerms {
  /** The batch's task for a one-task batch; null for a mixed batch. */
  batchTask: Task | null;
  /** L_O per task whose labels entered the loss. */
  output: Partial<Record<Task, Tensor>>;
  /** Each pass's loss, summed over those tasks (their sum is Σ L_O). */
  passes: Record<HeadPass, Tensor>;
  /** L_D, computed behind the reversal layer; null without adversarial training or for a mixed batch. */
  discriminator: Tensor | null;
  /** L_Adv, computed behind the reversal layers; null when there is no other task or no adversarial training. */
  adversarial: Tensor | null;
  /** Σ L_O + α1·L_D + α2·L_Adv: what training back-propagates. */
  total: Tensor;
}

/** The model config and the run's loss settings. */
export type Burst2VecModelOptions = Burst2VecLossOptions;

export class Burst2VecModel implements MultitaskModel {
  readonly tasks: readonly Task[];
  readonly head: Burst2VecHead;
  readonly config: Burst2VecModelConfig;
  private readonly lossFns = new Map<Task, TaskLossFn>();

  constructor(
    readonly backbone: Backbone,
    options: Burst2VecModelOptions,
  ) {
    this.config = options.config;
    this.tasks = [...new Set(options.config.tasks)];
    const weights = this.config.classWeights ? pickClassWeights(options.classWeights, this.tasks) : {};
    this.head = new Burst2VecHead(backbone.hiddenSize, this.tasks, this.config, weights);
    for (const task of this.tasks) this.lossFns.set(task, burst2vecTaskLoss(task, options, (t) => this.head.classWeights.of(t)));
  }

  /** Move the trained part to where the backbone is. */
  to(device: Device): this {
    this.head.to(device);
    return this;
  }

  dispose(): void {
    this.head.dispose();
    this.backbone.dispose();
  }

  encode(batch: DeviceBatch): Tensor {
    return encodeClips(this.backbone, batch, 'Burst2VecModel.encode');
  }

  private features(batch: DeviceBatch): Tensor {
    return batch.features ?? this.encode(batch);
  }

  /** The shared and every task-specific extractor on projected features. */
  private extract(projected: Tensor): Extracted {
    const specific = new Map<Task, Tensor>();
    for (const t of this.tasks) specific.set(t, this.head.specific.get(t).forward(projected));
    return { shared: this.head.shared.forward(projected), specific };
  }

  /** Head of `task` on extractor-sized features: regression values (after the output function) or logits. */
  private headOutput(task: Task, x: Tensor): Tensor {
    const raw = this.head.heads.get(task).forward(x);
    if (TASK_SPECS[task].kind === 'classification' || this.config.regressionOutput === 'linear') return raw;
    return raw.sigmoid();
  }

  /** The input of each pass of `task`'s head. */
  private passInputs(task: Task, f: Extracted): Record<HeadPass, Tensor> {
    const own = f.specific.get(task)!;
    return { shared: f.shared, specific: own, concat: this.head.concat.get(task).forward(cat([f.shared, own], 1)) };
  }

  private taskLoss(task: Task, output: Tensor, targets: DeviceTargets): Tensor {
    return this.lossFns.get(task)!(output, targets.values, { mask: targets.mask });
  }

  /** The batch's task, checked; null for a mixed batch. */
  private batchTask(batch: DeviceBatch): Task | null {
    const task = batch.task;
    if (task === undefined) return null;
    if (!this.tasks.includes(task)) throw new TorchError(`Burst2VecModel: a batch of task '${task}', which the model does not train (${this.tasks.join(', ')})`);
    if (!batch.targets[task]) throw new TorchError(`Burst2VecModel: the batch of task '${task}' carries no '${task}' labels`);
    return task;
  }

  /** The projected features and what the extractors make of them: what every head pass and loss reads. */
  private forwardShared(batch: DeviceBatch): Projected {
    const projected = this.head.projection.forward(this.features(batch));
    return { projected, f: this.extract(projected) };
  }

  /** Every term of the objective for a batch, with gradients (the module comment defines them). */
  lossTerms(batch: DeviceBatch, shared?: Projected): Burst2VecLossTerms {
    return scope(() => {
      const batchTask = this.batchTask(batch);
      const { projected, f } = shared ?? this.forwardShared(batch);
      const labelled = batchTask !== null ? [batchTask] : this.tasks.filter((t) => batch.targets[t] !== undefined);
      if (labelled.length === 0) throw new TorchError('Burst2VecModel.loss: the batch has labels of none of the model\'s tasks');

      const output: Partial<Record<Task, Tensor>> = {};
      const passSums: Partial<Record<HeadPass, Tensor>> = {};
      for (const task of labelled) {
        const targets = batch.targets[task]!;
        const inputs = this.passInputs(task, f);
        let lo: Tensor | null = null;
        for (const pass of HEAD_PASSES) {
          const l = this.taskLoss(task, this.headOutput(task, inputs[pass]), targets);
          lo = lo === null ? l : lo.add(l);
          const sum = passSums[pass];
          passSums[pass] = sum === undefined ? l : sum.add(l);
        }
        output[task] = lo!;
      }

      let discriminator: Tensor | null = null;
      let adversarial: Tensor | null = null;
      const reversal = this.config.reversalFactor;
      if (this.config.adversarial && batchTask !== null) {
        const j = batchTask;
        // With reverseInto 'extractors' the adversarial paths start from detached projected features:
        // the reversed gradients train the extractors only, and the projection and backbone learn from L_O.
        const adv = this.config.reverseInto === 'extractors' ? this.extract(projected.detach()) : f;
        // L_D: the shared features reach the discriminator through a reversal layer.
        if (this.head.discriminator !== null && this.tasks.length >= 2) {
          const logits = this.head.discriminator.forward(gradReverse(adv.shared, reversal));
          const target = full([batch.size], this.tasks.indexOf(j), { dtype: 'int64', device: logits.device });
          discriminator = crossEntropyLoss(logits, target);
        }
        // L_Adv: every other task's specific features reach head j through a reversal layer.
        const targets = batch.targets[j]!;
        for (const t of this.tasks) {
          if (t === j) continue;
          const l = this.taskLoss(j, this.headOutput(j, gradReverse(adv.specific.get(t)!, reversal)), targets);
          adversarial = adversarial === null ? l : adversarial.add(l);
        }
      }

      let total = Object.values(output).reduce((a, b) => a!.add(b!))!;
      if (discriminator !== null) total = total.add(discriminator.mul(this.config.alpha1));
      if (adversarial !== null) total = total.add(adversarial.mul(this.config.alpha2));
      return { batchTask, output, passes: passSums as Record<HeadPass, Tensor>, discriminator, adversarial, total };
    });
  }

  loss(batch: DeviceBatch, shared?: Projected): LossOutput {
    return scope(() => {
      const terms = this.lossTerms(batch, shared);
      const taskLosses: Partial<Record<Task, Tensor>> = {};
      for (const [t, l] of Object.entries(terms.output) as [Task, Tensor][]) taskLosses[t] = l.detach();
      const extra: Record<string, Tensor> = {};
      for (const pass of HEAD_PASSES) extra[`pass/${pass}`] = terms.passes[pass].detach();
      if (terms.discriminator !== null) extra.discriminator = terms.discriminator.detach();
      if (terms.adversarial !== null) extra.adversarial = terms.adversarial.detach();
      return { loss: terms.total, taskLosses, extra };
    });
  }

  /** Outputs of the given passes (default all three) for every task: regression values, classification probabilities. */
  passPredictions(batch: DeviceBatch, passes: readonly HeadPass[] = HEAD_PASSES, shared?: Projected): Partial<Record<HeadPass, TaskPredictionTensors>> {
    return scope(() => {
      const { f } = shared ?? this.forwardShared(batch);
      const out: Partial<Record<HeadPass, TaskPredictionTensors>> = {};
      for (const task of this.tasks) {
        const inputs = this.passInputs(task, f);
        for (const pass of passes) {
          const y = this.headOutput(task, inputs[pass]);
          (out[pass] ??= {})[task] = TASK_SPECS[task].kind === 'classification' ? y.softmax(1) : y;
        }
      }
      return out;
    });
  }

  predict(batch: DeviceBatch, shared?: Projected): TaskPredictionTensors {
    return scope(() => {
      const from = this.config.predictFrom;
      if (from !== 'mean') return this.passPredictions(batch, [from], shared)[from]!;
      const passes = this.passPredictions(batch, HEAD_PASSES, shared);
      const result: TaskPredictionTensors = {};
      for (const task of this.tasks) {
        result[task] = passes.shared![task]!.add(passes.specific![task]!).add(passes.concat![task]!).div(3);
      }
      return result;
    });
  }

  evaluate(batch: DeviceBatch, options: { withLoss: boolean }): EvaluationOutput {
    return scope(() => {
      const shared = this.forwardShared(batch);
      return { predictions: this.predict(batch, shared), ...(options.withLoss ? { loss: this.loss(batch, shared) } : {}) };
    });
  }

  /** Each task's L_O enters with weight 1 (the adversarial weights α1, α2 are fixed and logged with the config). */
  taskWeights(): Partial<Record<Task, number>> {
    return Object.fromEntries(this.tasks.map((t) => [t, 1]));
  }
}
