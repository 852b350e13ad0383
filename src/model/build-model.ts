/** The model a config describes. */
import type { ModelConfig } from '../config/schema.js';
import type { Device } from '../torch/index.js';
import { AvbMtlModel } from './avb-mtl-model.js';
import type { Backbone } from './backbone.js';
import { Burst2VecModel } from './burst2vec/burst2vec-model.js';
import type { ModelLossOptions, MultitaskModel } from './multitask-model.js';

export interface BuildModelOptions extends ModelLossOptions {
  device?: Device;
}

export function buildModel(config: ModelConfig, backbone: Backbone, options: BuildModelOptions = {}): MultitaskModel {
  const { device, ...loss } = options;
  const model = config.kind === 'avb-mtl' ? new AvbMtlModel(backbone, { config, ...loss }) : new Burst2VecModel(backbone, { config, ...loss });
  return device ? model.to(device) : model;
}
