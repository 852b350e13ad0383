/**
 * The error every loss, combiner and registry function throws for bad
 * input: it names the function and the argument at fault, so a wrong
 * mask or a misspelt loss name in a config points at itself.
 */

/** Bad input to a loss function, a task weighting or the loss registry. */
export class LossInputError extends RangeError {
  /** The function that refused the input, e.g. `cccLoss`. */
  readonly fn: string;
  /** The argument at fault, e.g. `mask` or `options.labelSmoothing`. */
  readonly argument: string;

  /**
   * @param fn the refusing function
   * @param argument the argument at fault
   * @param problem what is wrong, phrased to follow the argument's name
   */
  constructor(fn: string, argument: string, problem: string) {
    super(`${fn}: '${argument}' ${problem}`);
    this.name = 'LossInputError';
    this.fn = fn;
    this.argument = argument;
  }
}
