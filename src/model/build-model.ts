/** The model a config describes. */
import type { ModelConfig } from '../config/schema.js';
import type { Task } from '../data/schema.js';
import type { CccVariant } from '../metrics/index.js';
import type { Device } from '../torch/index.js';
import { AvbMtlModel } from './avb-mtl-model.js';
import type { Backbone } from './backbone.js';
import { Burst2VecModel } from './burst2vec/burst2vec-model.js';
import type { MultitaskModel } from './multitask-model.js';

export interface BuildModelOptions {
  /** Inverse-frequency class weights per classification task, from the training split. */
  classWeights?: Partial<Record<Task, Float32Array>>;
  cccVariant?: CccVariant;
  device?: Device;
}

export function buildModel(config: ModelConfig, backbone: Backbone, options: BuildModelOptions = {}): MultitaskModel {
  switch (config.kind) {
    case 'avb-mtl': {
      const model = new AvbMtlModel(backbone, {
        config,
        ...(options.classWeights ? { classWeights: options.classWeights } : {}),
        ...(options.cccVariant ? { cccVariant: options.cccVariant } : {}),
      });
      return options.device ? model.to(options.device) : model;
    }
    case 'burst2vec': {
      const model = new Burst2VecModel(backbone, {
        config,
        ...(options.classWeights ? { classWeights: options.classWeights } : {}),
        ...(options.cccVariant ? { cccVariant: options.cccVariant } : {}),
      });
      return options.device ? model.to(options.device) : model;
    }
  }
}
