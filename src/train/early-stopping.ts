/** Early stopping on a monitored value with patience and a minimum improvement. */
import type { EarlyStoppingState } from '../run/trainer-state.js';

export type { EarlyStoppingState };

export interface EarlyStoppingOptions {
  mode: 'min' | 'max';
  /** Validations without improvement before stopping. */
  patience: number;
  /** Changes smaller than this do not count as improvement. */
  minDelta: number;
}

export class EarlyStopping {
  private state: EarlyStoppingState;

  constructor(
    readonly options: EarlyStoppingOptions,
    state?: EarlyStoppingState,
  ) {
    this.state = state ? { ...state } : { best: null, bad: 0 };
  }

  /** Whether `value` beats the best so far by more than minDelta (NaN never does). */
  isImprovement(value: number): boolean {
    if (!Number.isFinite(value)) return false;
    if (this.state.best === null) return true;
    const { mode, minDelta } = this.options;
    return mode === 'min' ? value < this.state.best - minDelta : value > this.state.best + minDelta;
  }

  /** Record a validation; says whether it improved and whether to stop now. */
  update(value: number): { improved: boolean; stop: boolean } {
    const improved = this.isImprovement(value);
    if (improved) {
      this.state = { best: value, bad: 0 };
    } else {
      this.state = { ...this.state, bad: this.state.bad + 1 };
    }
    return { improved, stop: this.state.bad >= this.options.patience };
  }

  get best(): number | null {
    return this.state.best;
  }

  /** Plain data, for checkpoints. */
  snapshot(): EarlyStoppingState {
    return { ...this.state };
  }
}
