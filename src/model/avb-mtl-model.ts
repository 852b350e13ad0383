/**
 * Recipe A (seed 000): backbone → masked mean pooling → one head per task,
 * Linear(H, 256) → GELU → Linear(256, k). Classification heads give logits
 * (softmax at prediction); regression heads end in a sigmoid, or, in the
 * "-SM" variant, are clamped to [0, 1] in the forward pass, as the paper
 * describes for High and Culture. With intermediate tasks (1/4: country;
 * 2/3: country and type) those heads run first and their softmax
 * probabilities are concatenated to the pooled features the other heads
 * read. Task losses are combined by learned uncertainty weighting.
 *
 * The released scripts' variants (recipe avb-mtl-code) are settings here:
 * pooling over a fixed zero-padded length, softmax outputs fed to the
 * cross-entropy, its batch-mean normalisation and weights summing to one,
 * uniform class weights in the validation loss, the per-sample CCC loss.
 * "+SW" weighs clips inversely to their country's frequency in the batch
 * (the paper) or in the training split ('train').
 */
import type { AvbMtlModelConfig } from '../config/schema.js';
import type { Task } from '../tasks.js';
import { TASK_SPECS } from '../tasks.js';
import {
  type TaskLossFn,
  type TaskWeighting,
  cccLoss,
  cccLossSettings,
  createTaskWeighting,
  crossEntropyLoss,
  inverseFrequencyBatchWeights,
  maeLoss,
  mseLoss,
} from '../losses/index.js';
import { type Tensor, TorchError, cat, nn, scope } from '../torch/index.js';
import type { Backbone } from './backbone.js';
import { ClassWeights, pickClassWeights } from './class-weights.js';
import { encodeClips } from './encode-clips.js';
import type { DeviceBatch, EvaluationOutput, LossOutput, ModelLossOptions, MultitaskModel, TaskPredictionTensors } from './multitask-model.js';

/** Class weights as the config scales them: 'balanced' as given (N/(K·n_c)), or 'sum-one' (each task's weights divided by their sum). */
function scaleClassWeights(weights: Partial<Record<Task, Float32Array>>, scale: AvbMtlModelConfig['classWeightScale']): Partial<Record<Task, Float32Array>> {
  if (scale === 'balanced') return weights;
  const out: Partial<Record<Task, Float32Array>> = {};
  for (const [task, w] of Object.entries(weights) as [Task, Float32Array][]) {
    const sum = w.reduce((a, b) => a + b, 0);
    out[task] = sum > 0 ? w.map((v) => v / sum) : w;
  }
  return out;
}

const INTERMEDIATE: Record<AvbMtlModelConfig['intermediate'], readonly Task[]> = {
  '0/5': [],
  '1/4': ['country'],
  '2/3': ['country', 'type'],
};

/** Heads and task weighting: the trained part besides the backbone (and the class weights its losses use). */
class AvbMtlHead extends nn.Module {
  readonly mlps = new Map<Task, nn.MLP>();
  readonly weighting: TaskWeighting;
  readonly classWeights: ClassWeights;

  constructor(featureDim: number, config: AvbMtlModelConfig, first: readonly Task[], classWeights: Partial<Record<Task, Float32Array>>) {
    super();
    const extra = first.reduce((n, t) => n + TASK_SPECS[t].size, 0);
    for (const task of config.tasks) {
      const inDim = first.includes(task) ? featureDim : featureDim + extra;
      const mlp = new nn.MLP(inDim, config.headHidden, TASK_SPECS[task].size, { activation: 'gelu', dropout: config.headDropout });
      this.mlps.set(task, this.registerModule(task, mlp));
    }
    this.weighting = this.registerModule(
      'weighting',
      config.taskWeighting === 'uncertainty'
        ? createTaskWeighting({ kind: 'uncertainty', tasks: config.tasks, form: config.uncertaintyForm })
        : createTaskWeighting({ kind: 'fixed', weights: Object.fromEntries(config.tasks.map((t) => [t, 1])) }),
    );
    this.classWeights = this.registerModule('classWeights', new ClassWeights(classWeights));
  }
}

export interface AvbMtlModelOptions extends ModelLossOptions {
  config: AvbMtlModelConfig;
}

export class AvbMtlModel implements MultitaskModel {
  readonly tasks: readonly Task[];
  readonly head: AvbMtlHead;
  readonly config: AvbMtlModelConfig;
  private readonly first: readonly Task[];
  private readonly lossFns = new Map<Task, TaskLossFn>();

  constructor(
    readonly backbone: Backbone,
    options: AvbMtlModelOptions,
  ) {
    const config = options.config;
    this.config = config;
    this.tasks = [...new Set(config.tasks)];
    this.first = INTERMEDIATE[config.intermediate];
    for (const t of this.first) {
      if (!this.tasks.includes(t)) {
        throw new TorchError(`model.intermediate '${config.intermediate}' predicts ${this.first.join(' and ')} first: add ${t} to model.tasks`);
      }
    }
    if (this.sampleWeightMode === 'batch' && !this.tasks.includes('country')) {
      throw new TorchError("model.sampleWeights weighs clips by their country's frequency in the batch: add country to model.tasks (or use 'train')");
    }
    const weights = config.classWeights ? scaleClassWeights(pickClassWeights(options.classWeights, this.tasks), config.classWeightScale) : {};
    this.head = new AvbMtlHead(backbone.hiddenSize, { ...config, tasks: [...this.tasks] }, this.first, weights);
    for (const task of this.tasks) this.lossFns.set(task, this.taskLoss(task, options));
  }

  private taskLoss(task: Task, options: AvbMtlModelOptions): TaskLossFn {
    const spec = TASK_SPECS[task];
    if (spec.kind === 'classification') {
      const uniform = Array.from({ length: spec.size }, () => 1 / spec.size);
      return (logits, target, inputs) => {
        // The released scripts' evaluation mode: weights 1/K and no smoothing in the validation loss.
        const validationUniform = options.config.validationClassWeights === 'uniform' && !this.head.training;
        return crossEntropyLoss(logits, target, {
          classWeights: validationUniform ? uniform : this.head.classWeights.of(task),
          labelSmoothing: validationUniform ? 0 : options.config.labelSmoothing,
          normalize: options.config.crossEntropyNorm,
          ...inputs,
        });
      };
    }
    const ccc = cccLossSettings(options.config.cccLoss);
    const kind = task === 'two' ? options.config.twoLoss : task === 'age' ? 'mae' : 'ccc';
    if (kind === 'mse') return (p, t, inputs) => mseLoss(p, t, inputs);
    if (kind === 'mae') return (p, t, inputs) => maeLoss(p, t, inputs);
    return (p, t, inputs) => cccLoss(p, t, { ...ccc, ...inputs });
  }

  /** Move the heads (with their class weights) to where the backbone is. */
  to(device: Parameters<Backbone['to']>[0]): this {
    this.head.to(device);
    return this;
  }

  dispose(): void {
    this.head.dispose();
    this.backbone.dispose();
  }

  encode(batch: DeviceBatch): Tensor {
    return encodeClips(this.backbone, batch, 'AvbMtlModel.encode', this.config.pooling === 'padded-mean' ? { padTo: this.config.padTo } : {});
  }

  /**
   * Raw head outputs: what the cross-entropy reads for classification
   * (logits, or with classifierOutput 'softmax' the head's softmax), [0, 1]
   * values for regression.
   */
  outputs(features: Tensor): Partial<Record<Task, Tensor>> {
    const out: Partial<Record<Task, Tensor>> = {};
    const headOf = (t: Task) => this.head.mlps.get(t)!;
    const classifier = (raw: Tensor) => (this.config.classifierOutput === 'softmax' ? raw.softmax(1) : raw);
    for (const t of this.first) out[t] = classifier(headOf(t).forward(features));
    const input = this.first.length === 0 ? features : cat([features, ...this.first.map((t) => this.probabilities(out[t]!))], 1);
    for (const t of this.tasks) {
      if (this.first.includes(t)) continue;
      const raw = headOf(t).forward(input);
      out[t] = TASK_SPECS[t].kind === 'classification' ? classifier(raw) : this.regressionOutput(t, raw);
    }
    return out;
  }

  /** Class probabilities of a classification output. */
  private probabilities(output: Tensor): Tensor {
    return this.config.classifierOutput === 'softmax' ? output : output.softmax(1);
  }

  private regressionOutput(task: Task, raw: Tensor): Tensor {
    // "-SM" clamps High and Culture; the other regression tasks keep the sigmoid.
    if (this.config.regressionOutput === 'clamp' && (task === 'high' || task === 'culture')) return raw.clamp(0, 1);
    return raw.sigmoid();
  }

  private features(batch: DeviceBatch): Tensor {
    return batch.features ?? this.encode(batch);
  }

  /** "+SW": none, the batch's own inverse country frequencies (the paper), or the training split's (handed in with the batch). */
  private get sampleWeightMode(): 'none' | 'batch' | 'train' {
    const w = this.config.sampleWeights;
    return w === false ? 'none' : w === 'train' ? 'train' : 'batch';
  }

  /** [B] per-clip loss weights of a batch, or null. */
  private sampleWeightsOf(batch: DeviceBatch): Tensor | null {
    switch (this.sampleWeightMode) {
      case 'none':
        return null;
      case 'train':
        return batch.sampleWeights ?? null;
      case 'batch': {
        const country = batch.targets.country;
        return country ? inverseFrequencyBatchWeights(country.values, country.mask, TASK_SPECS.country.size) : null;
      }
    }
  }

  /** The weighted loss of raw outputs against the batch's labels. */
  private lossOf(out: Partial<Record<Task, Tensor>>, batch: DeviceBatch): LossOutput {
    const losses: Partial<Record<Task, Tensor>> = {};
    const sampleWeights = this.sampleWeightsOf(batch);
    for (const task of this.tasks) {
      const targets = batch.targets[task];
      const prediction = out[task];
      if (!targets || !prediction) continue;
      losses[task] = this.lossFns.get(task)!(prediction, targets.values, { mask: targets.mask, sampleWeights });
    }
    const loss = this.head.weighting.combine(losses);
    const taskLosses: Partial<Record<Task, Tensor>> = {};
    for (const [t, l] of Object.entries(losses)) taskLosses[t as Task] = l.detach();
    return { loss, taskLosses };
  }

  /** Predictions from raw outputs: probabilities for classification. */
  private predictionsOf(out: Partial<Record<Task, Tensor>>): TaskPredictionTensors {
    const result: TaskPredictionTensors = {};
    for (const t of this.tasks) result[t] = TASK_SPECS[t].kind === 'classification' ? this.probabilities(out[t]!) : out[t]!;
    return result;
  }

  loss(batch: DeviceBatch): LossOutput {
    return scope(() => this.lossOf(this.outputs(this.features(batch)), batch));
  }

  predict(batch: DeviceBatch): TaskPredictionTensors {
    return scope(() => this.predictionsOf(this.outputs(this.features(batch))));
  }

  evaluate(batch: DeviceBatch, options: { withLoss: boolean }): EvaluationOutput {
    return scope(() => {
      const out = this.outputs(this.features(batch));
      return { predictions: this.predictionsOf(out), ...(options.withLoss ? { loss: this.lossOf(out, batch) } : {}) };
    });
  }

  taskWeights(): Partial<Record<Task, number>> {
    return this.head.weighting.taskWeights() as Partial<Record<Task, number>>;
  }
}
