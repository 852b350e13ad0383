/**
 * A model frees everything it owns on dispose(): the backbone, the trained
 * part and loss constants such as recipe A's class-weight tensors.
 */
import { describe, expect, it } from 'vitest';
import { AvbMtlModelSchema, Burst2VecModelSchema } from '../../src/config/schema.js';
import { Backbone } from '../../src/model/backbone.js';
import { buildModel } from '../../src/model/build-model.js';
import * as T from '../../src/torch/index.js';
import { tinyBackbone } from '../fixtures/backbones.js';

const classWeights = { type: new Float32Array([1, 2, 1, 1, 0.5, 1, 1, 3]), country: new Float32Array([1, 1, 2, 0.5]) };

describe('model.dispose()', () => {
  it('recipe A: frees backbone, heads and the class weights moved to the device', async () => {
    const file = await tinyBackbone('data2vec');
    const before = T.liveTensors();
    const backbone = Backbone.load(file);
    const config = AvbMtlModelSchema.parse({ kind: 'avb-mtl', tasks: ['high', 'type', 'country'], headHidden: 8 });
    const model = buildModel(config, backbone, { classWeights, device: 'cpu' });
    const backboneParameters = backbone.namedParameters().size; // handles made on first use, then cached
    const owned = T.liveTensors() - before;
    // Parameters of backbone and heads, plus one weight tensor per classification task.
    expect(owned).toBe(backboneParameters + model.head.parameters().length + 2);
    model.dispose();
    expect(T.liveTensors()).toBe(before);
  }, 300_000);

  it('recipe B: frees backbone and the trained part', async () => {
    const file = await tinyBackbone('wav2vec2');
    const before = T.liveTensors();
    const backbone = Backbone.load(file);
    const config = Burst2VecModelSchema.parse({ kind: 'burst2vec', tasks: ['high', 'age', 'country'], projectionDim: 6, extractorDim: 5, headHidden: 4 });
    const model = buildModel(config, backbone, { classWeights, device: 'cpu' });
    expect(T.liveTensors()).toBeGreaterThan(before);
    model.dispose();
    expect(T.liveTensors()).toBe(before);
  }, 300_000);
});
