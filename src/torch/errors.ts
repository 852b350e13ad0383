/**
 * The error every native call throws: LibTorch's own message (without its
 * C++ backtrace), or the argument check that failed.
 */
export class TorchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TorchError';
  }
}
