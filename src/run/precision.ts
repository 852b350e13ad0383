/**
 * The precision rule of a run: 'auto' is bf16 autocast for forward and loss
 * on CUDA and fp32 on the CPU; weights, gradients and optimizer state stay
 * fp32 either way.
 */
import { type Device, withAutocast } from '../torch/index.js';

export type Precision = 'bf16' | 'fp32';

/** Runs `fn` under the run's autocast setting. */
export type Autocast = <T>(fn: () => T) => T;

export function resolvePrecision(setting: Precision | 'auto', device: Device): Precision {
  if (setting !== 'auto') return setting;
  return device.startsWith('cuda') ? 'bf16' : 'fp32';
}

export function autocastFor(precision: Precision, device: Device): Autocast {
  if (precision !== 'bf16') return (fn) => fn();
  const deviceType = device.startsWith('cuda') ? 'cuda' : 'cpu';
  return (fn) => withAutocast(deviceType, 'bfloat16', fn);
}
