/** The OpenAPI 3 description of `vbt serve`'s API, with the served model's own outputs spelled out. */
import { SUPPORTED_FORMATS_TEXT } from '../audio/audio-formats.js';
import { TASK_SPECS, type Task } from '../tasks.js';

export interface OpenApiLimits {
  readonly maxBodyBytes: number;
  readonly maxAudioSeconds: number;
  readonly maxInFlight: number;
}

function outputsSchema(tasks: readonly Task[]): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const task of tasks) {
    const spec = TASK_SPECS[task];
    if (task === 'age') {
      properties.age = { type: 'number', description: 'Age in years' };
    } else if (spec.kind === 'classification') {
      properties[task] = {
        type: 'object',
        description: `Class probabilities (${spec.labels.join(', ')}); with \`top\`, the K most probable, most probable first`,
        additionalProperties: { type: 'number', minimum: 0, maximum: 1 },
      };
    } else {
      properties[task] = {
        type: 'object',
        description: `Intensities in [0, 1] by name: ${spec.labels.slice(0, 12).join(', ')}${spec.labels.length > 12 ? ', ...' : ''}`,
        properties: Object.fromEntries(spec.labels.map((l) => [l, { type: 'number' }])),
        required: [...spec.labels],
      };
    }
  }
  return { type: 'object', properties, required: [...tasks] };
}

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** The document served at GET /v1/openapi.json. */
export function openApiDocument(tasks: readonly Task[], limits: OpenApiLimits, version: string): Record<string, unknown> {
  const mib = (limits.maxBodyBytes / 2 ** 20).toFixed(limits.maxBodyBytes % 2 ** 20 === 0 ? 0 : 1);
  return {
    openapi: '3.0.3',
    info: {
      title: 'vbt model server',
      version,
      description:
        'Predictions of a trained vbt run for vocal bursts: emotion intensities, valence/arousal, burst type, country, age. ' +
        `Audio: ${SUPPORTED_FORMATS_TEXT}; at most ${mib} MiB per request and ${limits.maxAudioSeconds} s per file.`,
    },
    paths: {
      '/v1/predict': {
        post: {
          summary: 'Predict audio files',
          description:
            'The body is one audio file (any Content-Type but multipart), or a multipart/form-data form whose file parts are audio files. ' +
            'The result holds one entry per file (per window with `window`), in order; each entry is a line of `vbt predict`. ' +
            'Requests arriving together are predicted in one device batch.',
          parameters: [
            { name: 'window', in: 'query', schema: { type: 'number', exclusiveMinimum: true, minimum: 0 }, description: 'One prediction per window of this many seconds' },
            { name: 'hop', in: 'query', schema: { type: 'number', exclusiveMinimum: true, minimum: 0 }, description: 'Seconds between window starts (default: the window)' },
            { name: 'top', in: 'query', schema: { type: 'integer', minimum: 1 }, description: 'Keep the K most probable classes' },
            { name: 'name', in: 'query', schema: { type: 'string' }, description: 'The `file` of the result for a raw body (default null)' },
          ],
          requestBody: {
            required: true,
            content: {
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
              'audio/*': { schema: { type: 'string', format: 'binary' } },
              'multipart/form-data': {
                schema: { type: 'object', properties: { file: { type: 'array', items: { type: 'string', format: 'binary' } } } },
              },
            },
          },
          responses: {
            200: { description: 'Predictions', content: { 'application/json': { schema: { $ref: '#/components/schemas/PredictResponse' } } } },
            400: errorResponse('Empty body, no file in a form, a malformed form, or bad query parameters'),
            413: errorResponse(`Body over ${mib} MiB, or audio over ${limits.maxAudioSeconds} s`),
            415: errorResponse('Not audio of a supported format (or the server lacks its decoder)'),
            422: errorResponse('Audio of a supported format that cannot be decoded, or too short'),
            503: errorResponse(`More than ${limits.maxInFlight} requests in progress, or the server is shutting down (retry later)`),
          },
        },
      },
      '/v1/model': {
        get: {
          summary: 'The served model: tasks, outputs, classes, backbone, training figures',
          responses: { 200: { description: 'Model description', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
      '/v1/openapi.json': { get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3 document' } } } },
      '/healthz': {
        get: {
          summary: 'Liveness',
          responses: { 200: { description: 'Serving' }, 503: errorResponse('Shutting down') },
        },
      },
    },
    components: {
      schemas: {
        Outputs: outputsSchema(tasks),
        Prediction: {
          type: 'object',
          properties: {
            file: { type: 'string', nullable: true, description: 'The file name of a form part, or the `name` parameter' },
            start: { type: 'number', description: 'Seconds from the start of the file' },
            end: { type: 'number' },
            outputs: { $ref: '#/components/schemas/Outputs' },
          },
          required: ['file', 'start', 'end', 'outputs'],
        },
        PredictResponse: {
          type: 'object',
          properties: { results: { type: 'array', items: { $ref: '#/components/schemas/Prediction' } } },
          required: ['results'],
        },
        Error: {
          type: 'object',
          properties: {
            error: { type: 'string', description: 'What is wrong, naming the file when one is concerned' },
            status: { type: 'integer' },
          },
          required: ['error', 'status'],
        },
      },
    },
  };
}
