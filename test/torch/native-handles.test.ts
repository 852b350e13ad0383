/**
 * Every kind of native handle (tensor, TorchScript module, optimizer,
 * rendezvous store, process group) rejects a value of another kind and a
 * disposed handle with a TorchError naming the function and the argument,
 * and its dispose function is idempotent.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { TorchError } from '../../src/torch/index.js';
import { type StoreHandle, type TensorHandle, native } from '../../src/torch/native.js';
import { thrown as thrownBy } from '../fixtures/thrown.js';
import { exportSmallModule } from '../fixtures/torchscript.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const thrown = (fn: () => unknown) => thrownBy(TorchError, fn);

const vt = () => native();
const tensorHandle = (): TensorHandle => vt().fromArray(new Float32Array([1, 2]), [2]);

describe('native handles', () => {
  it('tensors', () => {
    const t = tensorHandle();
    const notTensor = vt().optimizerCreate('adam', [{ params: [] }]) as unknown as TensorHandle;
    expect(thrown(() => vt().item(notTensor)).message).toBe("item: argument 'tensor' must be a Tensor");
    expect(thrown(() => vt().item({} as TensorHandle)).message).toBe("item: argument 'tensor' must be a Tensor");
    vt().dispose(t);
    vt().dispose(t);
    expect(thrown(() => vt().item(t)).message).toBe("item: argument 'tensor': tensor was used after dispose()");
    expect(thrown(() => vt().dispose(notTensor)).message).toBe('dispose: argument must be a Tensor');
    vt().optimizerDispose(notTensor as never);
  });

  it('optimizers', () => {
    const opt = vt().optimizerCreate('adam', [{ params: [] }]);
    expect(vt().optimizerGroupCount(opt)).toBe(1);
    const t = tensorHandle();
    expect(thrown(() => vt().optimizerStep(t as never)).message).toBe("optimizerStep: argument 'optimizer' must be an optimizer handle");
    expect(thrown(() => vt().optimizerDispose(t as never)).message).toBe("optimizerDispose: argument 'optimizer' must be an optimizer handle");
    vt().optimizerDispose(opt);
    vt().optimizerDispose(opt);
    expect(thrown(() => vt().optimizerStep(opt)).message).toBe("optimizerStep: argument 'optimizer': optimizer was used after dispose()");
    vt().dispose(t);
  });

  it('TorchScript modules', () => {
    const [module] = vt().moduleLoad(exportSmallModule().path, null, []);
    expect(typeof vt().moduleIsTraining(module)).toBe('boolean');
    const t = tensorHandle();
    expect(thrown(() => vt().moduleIsTraining(t as never)).message).toBe("moduleIsTraining: argument 'module' must be a ScriptModule handle");
    expect(thrown(() => vt().moduleDispose(t as never)).message).toBe("moduleDispose: argument 'module' must be a ScriptModule handle");
    vt().moduleDispose(module);
    vt().moduleDispose(module);
    expect(thrown(() => vt().moduleIsTraining(module)).message).toBe("moduleIsTraining: argument 'module': module was used after dispose()");
    vt().dispose(t);
  });

  it('rendezvous stores and process groups', async () => {
    const store = vt().storeCreate('127.0.0.1', await freePort(), true, 1, 5000);
    const t = tensorHandle();
    expect(thrown(() => vt().storeGet(t as unknown as StoreHandle, 'k', 100)).message).toBe("storeGet: argument 'store' must be a store handle");
    expect(thrown(() => vt().storeDispose(t as never)).message).toBe("storeDispose: argument 'store' must be a store handle");
    expect(thrown(() => vt().processGroupBarrier(store as never, 100)).message).toBe(
      "processGroupBarrier: argument 'group' must be a process group handle",
    );
    expect(thrown(() => vt().processGroupDispose(store as never)).message).toBe(
      "processGroupDispose: argument 'group' must be a process group handle",
    );
    if (vt().distBackends().gloo) {
      const group = vt().processGroupCreate(store, 0, 1, 'gloo', 5000, { glooHostname: '127.0.0.1' });
      vt().processGroupBarrier(group, 5000);
      expect(thrown(() => vt().storeSet(group as never, 'k', new Uint8Array(1))).message).toBe("storeSet: argument 'store' must be a store handle");
      vt().processGroupDispose(group);
      vt().processGroupDispose(group);
      expect(thrown(() => vt().processGroupBarrier(group, 100)).message).toBe(
        "processGroupBarrier: argument 'group': process group was used after dispose()",
      );
    }
    vt().storeSet(store, 'k', new Uint8Array([7]));
    expect([...vt().storeGet(store, 'k', 1000)]).toEqual([7]);
    vt().storeDispose(store);
    vt().storeDispose(store);
    expect(thrown(() => vt().storeGet(store, 'k', 100)).message).toBe("storeGet: argument 'store': store was used after dispose()");
    vt().dispose(t);
  });
});
