/** Small neural-network building blocks in TypeScript. */
export { Module } from './module.js';
export { Linear, type LinearOptions } from './linear.js';
export { Dropout, GELU, type Layer, ReLU, Tanh } from './layers.js';
export { type Activation, MLP, type MLPOptions, Sequential } from './sequential.js';
