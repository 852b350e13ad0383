/** `vbt serve`: a trained run behind an HTTP API (see src/serve/server.ts). */
import type { Argv } from 'yargs';
import { ConfigError } from '../../config/errors.js';
import { Predictor } from '../../predict/predictor.js';
import { startServer } from '../../serve/server.js';

interface ServeFlags {
  run: string;
  checkpoint: string;
  device?: string;
  host: string;
  port: number;
  maxBodyMb: number;
  maxAudioSeconds: number;
  maxInFlight: number;
  maxBatch?: number;
  batchWindowMs: number;
  threads?: number;
  logRequests: boolean;
}

function positive(name: string, value: number, integer = false): void {
  if (!(Number.isFinite(value) && value > 0) || (integer && !Number.isInteger(value))) {
    throw new ConfigError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  }
}

export function serveCommand(yargs: Argv): Argv {
  return yargs.command(
    'serve',
    'Serve a trained run over HTTP: POST /v1/predict with audio, GET /v1/model, /v1/openapi.json, /healthz',
    (y) =>
      y
        .option('run', { type: 'string', demandOption: true, describe: 'Run folder written by `vbt train`' })
        .option('checkpoint', { type: 'string', choices: ['best', 'last'], default: 'best', describe: 'Checkpoint to load' })
        .option('device', { type: 'string', describe: 'cpu, cuda, cuda:N or auto (default: the run\'s)' })
        .option('host', { type: 'string', default: '127.0.0.1', describe: 'Interface to listen on (0.0.0.0: every interface)' })
        .option('port', { type: 'number', default: 8080, describe: 'Port (0: any free one)' })
        .option('max-body-mb', { type: 'number', default: 20, describe: 'Largest request body in MiB (413 beyond)' })
        .option('max-audio-seconds', { type: 'number', default: 600, describe: 'Longest audio per file in seconds (413 beyond)' })
        .option('max-in-flight', { type: 'number', default: 64, describe: 'Predict requests in progress at once (503 beyond)' })
        .option('max-batch', { type: 'number', describe: 'Clips per device batch (default: the run\'s evaluation batch size; 1: no batching)' })
        .option('batch-window-ms', { type: 'number', default: 5, describe: 'How long a request waits for others to share its device batch' })
        .option('threads', { type: 'number', describe: 'CPU threads for the model (default: the run\'s setting: OMP_NUM_THREADS, else the physical cores)' })
        .option('log-requests', { type: 'boolean', default: false, describe: 'One line per request on stderr' })
        .example('$0 serve --run runs/x', 'Serve on http://127.0.0.1:8080')
        .example('curl -s --data-binary @laugh.wav http://127.0.0.1:8080/v1/predict', 'Predict a file (another shell)')
        .example('curl -s -F file=@a.mp3 -F file=@b.flac "http://127.0.0.1:8080/v1/predict?top=3"', 'Several files in one form'),
    async (args) => {
      const flags = args as unknown as ServeFlags;
      if (!(Number.isInteger(flags.port) && flags.port >= 0 && flags.port <= 65535)) throw new ConfigError(`--port must be an integer from 0 to 65535, got ${flags.port}`);
      positive('max-body-mb', flags.maxBodyMb);
      positive('max-audio-seconds', flags.maxAudioSeconds);
      positive('max-in-flight', flags.maxInFlight, true);
      if (flags.maxBatch !== undefined) positive('max-batch', flags.maxBatch, true);
      if (!(flags.batchWindowMs >= 0)) throw new ConfigError(`--batch-window-ms must be ≥ 0, got ${flags.batchWindowMs}`);
      const predictor = await Predictor.open(flags.run, {
        checkpoint: flags.checkpoint as 'best' | 'last',
        ...(flags.device ? { device: flags.device as never } : {}),
        ...(flags.maxBatch !== undefined ? { maxBatch: flags.maxBatch } : {}),
        batchWindowMs: flags.batchWindowMs,
        ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
      });
      let server;
      try {
        server = await startServer(predictor, {
          host: flags.host,
          port: flags.port,
          maxBodyBytes: Math.round(flags.maxBodyMb * 2 ** 20),
          maxAudioSeconds: flags.maxAudioSeconds,
          maxInFlight: flags.maxInFlight,
          logRequests: flags.logRequests,
        });
      } catch (error) {
        await predictor.close();
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new ConfigError(`port ${flags.port} on ${flags.host} is in use (choose another with --port)`);
        if (code === 'EADDRNOTAVAIL') throw new ConfigError(`--host ${flags.host} is not an address of this machine`);
        throw error;
      }
      console.log(`vbt serve: listening on ${server.url} (run ${flags.run}, checkpoint ${predictor.checkpoint}, device ${predictor.device}, max batch ${predictor.maxBatch})`);
      const running = server;
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) {
            console.error(`vbt serve: ${signal} again: quitting now`);
            process.exit(130);
          }
          stopping = true;
          console.error(`vbt serve: ${signal}: finishing ${running.inFlight()} request${running.inFlight() === 1 ? '' : 's'} in progress, refusing new ones`);
          running
            .close()
            .then(() => predictor.close())
            .then(resolve, (error: unknown) => {
              console.error(`vbt serve: ${error instanceof Error ? error.message : String(error)}`);
              resolve();
            });
        };
        process.on('SIGTERM', () => stop('SIGTERM'));
        process.on('SIGINT', () => stop('SIGINT'));
      });
      console.error('vbt serve: stopped');
    },
  );
}
