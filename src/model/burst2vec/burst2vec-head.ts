/**
 * The trained part of a Burst2Vec model besides the backbone (Fig. 2 of the
 * paper): a projection of the pooled backbone features, a shared feature
 * extractor, one task-specific extractor per task, per task an output head
 * with the projection of concat(shared, specific) it reads in its third
 * pass, and (unless "-Adv") the task discriminator on the shared features.
 *
 * Parameter names (checkpoints): `projection.*`, `shared.*`,
 * `specific.<task>.*`, `concat.<task>.*`, `heads.<task>.*`,
 * `discriminator.*`.
 */
import type { Burst2VecModelConfig } from '../../config/schema.js';
import { TASK_SPECS, type Task } from '../../tasks.js';
import { nn } from '../../torch/index.js';
import { ClassWeights } from '../class-weights.js';

type Layer = nn.Module & nn.Layer;

function activation(kind: Burst2VecModelConfig['activation']): Layer {
  switch (kind) {
    case 'gelu':
      return new nn.GELU();
    case 'relu':
      return new nn.ReLU();
    case 'tanh':
      return new nn.Tanh();
  }
}

/** Linear → activation → dropout (dropout left out at p = 0). */
function dense(inDim: number, outDim: number, config: Burst2VecModelConfig): Layer[] {
  const layers: Layer[] = [new nn.Linear(inDim, outDim), activation(config.activation)];
  if (config.dropout > 0) layers.push(new nn.Dropout(config.dropout));
  return layers;
}

/** One module per task, registered under the task's name. */
export class TaskModules<M extends nn.Module> extends nn.Module {
  readonly byTask = new Map<Task, M>();

  constructor(tasks: readonly Task[], make: (task: Task) => M) {
    super();
    for (const task of tasks) this.byTask.set(task, this.registerModule(task, make(task)));
  }

  /** The module of `task` (a task the model was not built with is a programming error). */
  get(task: Task): M {
    const m = this.byTask.get(task);
    if (m === undefined) throw new RangeError(`no module for task '${task}'`);
    return m;
  }
}

export class Burst2VecHead extends nn.Module {
  /** Pooled features [B, H] → [B, projectionDim]. */
  readonly projection: nn.Sequential;
  /** Shared extractor: [B, projectionDim] → [B, extractorDim]. */
  readonly shared: nn.Sequential;
  /** Task-specific extractors, same shapes as the shared one. */
  readonly specific: TaskModules<nn.Sequential>;
  /** Per task: concat(shared, specific) [B, 2·extractorDim] → [B, extractorDim]. */
  readonly concat: TaskModules<nn.Sequential>;
  /** Per task: extractor-sized features → outputs (regression, before the output function) or logits. */
  readonly heads: TaskModules<nn.MLP>;
  /** Shared features → one logit per task; null in the "-Adv" variant. */
  readonly discriminator: nn.MLP | null;
  /** Class weights of the cross-entropy losses (when the config asks for them). */
  readonly classWeights: ClassWeights;

  constructor(featureDim: number, tasks: readonly Task[], config: Burst2VecModelConfig, classWeights: Partial<Record<Task, Float32Array>> = {}) {
    super();
    const { projectionDim: p, extractorDim: e, headHidden: h } = config;
    const extractor = () => new nn.Sequential(...dense(p, e, config), new nn.Linear(e, e), activation(config.activation));
    const mlpOptions = { activation: config.activation, dropout: config.dropout };
    this.projection = this.registerModule('projection', new nn.Sequential(...dense(featureDim, p, config)));
    this.shared = this.registerModule('shared', extractor());
    this.specific = this.registerModule('specific', new TaskModules(tasks, extractor));
    this.concat = this.registerModule('concat', new TaskModules(tasks, () => new nn.Sequential(new nn.Linear(2 * e, e), activation(config.activation))));
    this.heads = this.registerModule('heads', new TaskModules(tasks, (t) => new nn.MLP(e, h, TASK_SPECS[t].size, mlpOptions)));
    this.discriminator = config.adversarial ? this.registerModule('discriminator', new nn.MLP(e, h, tasks.length, mlpOptions)) : null;
    this.classWeights = this.registerModule('classWeights', new ClassWeights(classWeights));
  }
}
