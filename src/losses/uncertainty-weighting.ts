/**
 * Learned task weighting by homoscedastic uncertainty (Kendall, Gal and
 * Cipolla, CVPR 2018), in the two forms the reproduced systems publish.
 * Each task t has one learned scalar, a parameter of this module, trained
 * by the same optimizer as the model:
 *
 * - `'log-sigma'` (recipe A's code): p_t = log σ_t,
 *       total = Σ_t L_t / σ_t² + Σ_t log σ_t,   weight_t = exp(−2·p_t).
 *   ∂total/∂p_t = −2·L_t·exp(−2·p_t) + 1, zero at σ_t² = 2·L_t.
 * - `'log-variance'` (the ExVo 2022 multitask baseline): p_t = s_t = log σ_t²,
 *       total = Σ_t L_t / (2·exp(s_t)) + s_t / 2,   weight_t = exp(−s_t) / 2.
 *   ∂total/∂s_t = −L_t·exp(−s_t)/2 + 1/2, zero at σ_t² = L_t.
 *
 * Both settle where weight_t = 1/(2·L_t): a task whose loss runs larger is
 * trusted less. The regulariser (log σ_t, s_t/2) stops every σ growing
 * without bound; it is also why a task that can be made almost certain
 * (recipe A's "two", predicting a constant) can take a large weight and
 * overshadow the others, as the recipe A paper reports.
 *
 * A task absent from a batch is left out entirely, regulariser included;
 * its parameter gets no gradient (see task-weighting.ts). The parameters
 * start at `init` (default 0: σ = 1, weight 1 for 'log-sigma' and 1/2 for
 * 'log-variance', as both published codes start).
 */
import { type Device, type FloatDType, type Tensor, full, noGrad, scope } from '../torch/index.js';
import { LossInputError } from './loss-input-error.js';
import { TaskWeighting } from './task-weighting.js';

/** The parameterisation of the learned uncertainty; see the module comment. */
export type UncertaintyForm = 'log-sigma' | 'log-variance';

/** The values of {@link UncertaintyForm}. */
export const UNCERTAINTY_FORMS: readonly UncertaintyForm[] = ['log-sigma', 'log-variance'];

/** Options of {@link UncertaintyWeighting}. */
export interface UncertaintyWeightingOptions {
  /** Default 'log-sigma' (recipe A). */
  form?: UncertaintyForm;
  /** Initial parameter value (log σ or log σ²), for all tasks or per task; default 0. */
  init?: number | Readonly<Record<string, number>>;
  /** Where the parameters live; default 'cpu' (move later with `to`). */
  device?: Device;
  /** Parameter dtype; default 'float32'. */
  dtype?: FloatDType;
}

/** Parameter name prefix per form, as it appears in state dicts. */
const PARAMETER_PREFIX: Record<UncertaintyForm, string> = { 'log-sigma': 'logSigma', 'log-variance': 'logVariance' };

/** Learned uncertainty weighting: one trainable scalar per task. */
export class UncertaintyWeighting extends TaskWeighting {
  /** Which published form this is. */
  readonly form: UncertaintyForm;
  readonly #parameterOf = new Map<string, Tensor>();

  /**
   * @param tasks the task names (each gets a parameter named `logSigma.<task>` or `logVariance.<task>`)
   * @throws LossInputError on bad task names, an unknown form or a bad initial value
   */
  constructor(tasks: readonly string[], options: UncertaintyWeightingOptions = {}) {
    super('UncertaintyWeighting', 'tasks', tasks);
    const form = options.form ?? 'log-sigma';
    if (!UNCERTAINTY_FORMS.includes(form)) {
      throw new LossInputError('UncertaintyWeighting', 'options.form', `must be one of ${UNCERTAINTY_FORMS.join(', ')}, got ${JSON.stringify(form)}`);
    }
    this.form = form;
    const init = options.init ?? 0;
    if (typeof init === 'object') {
      for (const name of Object.keys(init)) {
        if (!tasks.includes(name)) throw new LossInputError('UncertaintyWeighting', `options.init.${name}`, `is not one of the tasks (${tasks.join(', ')})`);
      }
    }
    for (const task of this.tasks) {
      const value = typeof init === 'number' ? init : (init[task] ?? 0);
      if (!Number.isFinite(value)) throw new LossInputError('UncertaintyWeighting', 'options.init', `must be finite, got ${value} for task '${task}'`);
      const parameter = noGrad(() => full([], value, { dtype: options.dtype ?? 'float32', device: options.device ?? 'cpu' }));
      this.#parameterOf.set(task, this.registerParameter(`${PARAMETER_PREFIX[form]}.${task}`, parameter));
    }
  }

  /** The learned scalar of `task` (log σ or log σ², by form): the parameter itself, not a copy. */
  parameterOf(task: string): Tensor {
    const parameter = this.#parameterOf.get(task);
    if (parameter === undefined) throw new LossInputError('UncertaintyWeighting.parameterOf', 'task', `'${task}' is not one of ${this.tasks.join(', ')}`);
    return parameter;
  }

  protected override combinePresent(present: readonly (readonly [string, Tensor])[]): Tensor {
    return scope(() => {
      let total: Tensor | null = null;
      for (const [task, loss] of present) {
        const p = this.parameterOf(task);
        const term =
          this.form === 'log-sigma'
            ? loss.mul(p.mul(-2).exp()).add(p)
            : loss.mul(p.neg().exp().mul(0.5)).add(p.mul(0.5));
        total = total === null ? term : total.add(term);
      }
      return total as Tensor;
    });
  }

  /** weight_t = 1/σ_t² ('log-sigma') or 1/(2σ_t²) ('log-variance') per task. */
  override taskWeights(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const task of this.tasks) {
      const p = this.parameterOf(task).item();
      out[task] = this.form === 'log-sigma' ? Math.exp(-2 * p) : 0.5 * Math.exp(-p);
    }
    return out;
  }

  /** σ_t per task: the learned uncertainty the recipe A paper discusses. */
  taskUncertainties(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const task of this.tasks) {
      const p = this.parameterOf(task).item();
      out[task] = this.form === 'log-sigma' ? Math.exp(p) : Math.exp(p / 2);
    }
    return out;
  }
}
