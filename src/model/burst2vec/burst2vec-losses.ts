/**
 * The task losses of Burst2Vec (Sec. 3.3): 1 − CCC for the emotion
 * intensities, MAE on age scaled to [0, 1], cross-entropy for the country.
 * Other tasks follow their kind (regression: the emotion loss;
 * classification: cross-entropy), so the model also runs on A-VB tasks.
 */
import type { Burst2VecModelConfig } from '../../config/schema.js';
import { TASK_SPECS, type Task } from '../../tasks.js';
import { type TaskLossFn, cccLossSettings, crossEntropyLoss, regressionLoss } from '../../losses/index.js';
import type { Tensor } from '../../torch/index.js';
import type { ModelLossOptions } from '../multitask-model.js';

export interface Burst2VecLossOptions extends ModelLossOptions {
  config: Burst2VecModelConfig;
}

/**
 * The loss of one task with the run's settings bound; `classWeightsOf`
 * gives a classification task's weights (buffers of the model's head) at
 * call time.
 */
export function burst2vecTaskLoss(task: Task, options: Burst2VecLossOptions, classWeightsOf: (task: Task) => Tensor | null): TaskLossFn {
  const { config } = options;
  if (TASK_SPECS[task].kind === 'classification') {
    return (logits, target, inputs = {}) => crossEntropyLoss(logits, target, { classWeights: classWeightsOf(task), ...inputs });
  }
  const name = task === 'age' ? config.ageLoss : config.emotionLoss;
  return regressionLoss(name, { ccc: cccLossSettings(config.cccLoss) });
}
