/**
 * Operator calls by qualified name ('aten::add.Tensor'): resolved once to a
 * native id, then called through the dispatcher with arguments the native
 * side checks against the operator's schema.
 */
import { type NativeArg, type NativeResult, native } from './native.js';

const ids = new Map<string, number>();

/** The native id of an operator such as 'aten::add.Tensor' or 'aten::neg'. */
export function opId(qualified: string): number {
  let id = ids.get(qualified);
  if (id === undefined) {
    const sep = qualified.indexOf('.', qualified.indexOf('::') + 2);
    const name = sep < 0 ? qualified : qualified.slice(0, sep);
    const overload = sep < 0 ? '' : qualified.slice(sep + 1);
    id = native().opResolve(name, overload);
    ids.set(qualified, id);
  }
  return id;
}

/** Call an operator by qualified name with native arguments (tensor handles, numbers, ...). */
export function callRaw(qualified: string, ...args: NativeArg[]): NativeResult {
  return native().opCall(opId(qualified), ...args);
}

/** The schema of an operator, e.g. for documentation and error messages. */
export function opSchema(qualified: string): string {
  return native().opSchema(opId(qualified));
}
