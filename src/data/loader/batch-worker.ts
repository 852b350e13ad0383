/**
 * Entry point of a batch loader worker thread: builds each requested batch
 * and sends it back, transferring its buffers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { batchBuffers } from '../batch.js';
import { BatchProducer } from './batch-producer.js';
import { serializeError, type BatchRequest, type BatchResponse, type BatchWorkerData } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('batch-worker runs only as a worker thread of BatchLoader');
const { clips, options } = workerData as BatchWorkerData;
const producer = new BatchProducer(clips, options);

port.on('message', (request: BatchRequest) => {
  let response: BatchResponse;
  let transfer: ArrayBuffer[] = [];
  try {
    const batch = producer.produce(request.plan);
    response = { type: 'batch', id: request.id, batch };
    transfer = batchBuffers(batch);
  } catch (error) {
    response = { type: 'error', id: request.id, error: serializeError(error) };
  }
  port.postMessage(response, transfer);
});
