/**
 * `vbt predict`: a trained run's predictions.
 *
 *   vbt predict --run R a.wav b.mp3 folder/    each audio file: JSON lines (or CSV) on stdout
 *   vbt predict --run R [--split Test]          a corpus split: predictions.csv and challenge files
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Argv } from 'yargs';
import { ConfigError } from '../../config/errors.js';
import type { Split } from '../../tasks.js';
import { InferenceSession } from '../../predict/inference-session.js';
import { expandAudioInputs } from '../../predict/input-files.js';
import { type PredictionLine, csvHeader, csvRow, predictionJson } from '../../predict/prediction-outputs.js';
import { type PredictOptions, type PredictionResult, Predictor } from '../../predict/predictor.js';
import { writeRawPredictions } from '../../predict/raw-predictions.js';
import { submissionKind, writeSubmissions } from '../../predict/submissions.js';
import { formatMetrics } from '../format-metrics.js';
import { type RunFlags, openOptions, withRunFlags } from '../run-options.js';

interface PredictFlags extends RunFlags {
  files?: string[];
  out?: string;
  format: string;
  window?: number;
  hop?: number;
  top?: number;
  maxBatch?: number;
  threads?: number;
  json: boolean;
}

export function predictCommand(yargs: Argv): Argv {
  return yargs.command(
    'predict [files..]',
    'Predict audio files with a trained run (JSON lines or CSV on stdout), or write a corpus split\'s predictions and challenge submission CSVs',
    (y) =>
      withRunFlags(y, 'Test')
        .positional('files', { type: 'string', array: true, describe: 'Audio files and folders (searched recursively): WAV, FLAC, MP3, Ogg, M4A/AAC, WebM, AIFF' })
        .option('format', { type: 'string', choices: ['json', 'csv'], default: 'json', describe: 'With files: JSON lines or CSV' })
        .option('window', { type: 'number', describe: 'With files: one prediction per window of this many seconds (default: one per file)' })
        .option('hop', { type: 'number', describe: 'With --window: seconds between window starts (default: the window)' })
        .option('top', { type: 'number', describe: 'With files: keep the K most probable classes of type and country' })
        .option('max-batch', { type: 'number', describe: 'With files: clips or windows per device batch (default: the run\'s evaluation batch size)' })
        .option('threads', { type: 'number', describe: 'With files: CPU threads for the model (default: the run\'s setting)' })
        .option('out', { type: 'string', describe: 'Without files: output folder (default: <run>/predictions/<split>)' })
        .option('json', { type: 'boolean', default: false, describe: 'Without files: print the outcome (files written, metrics) as one JSON object on stdout' })
        .example('$0 predict --run runs/x laugh.wav sigh.mp3 recordings/', 'One JSON line per file')
        .example('$0 predict --run runs/x long.flac --window 2 --hop 1 --top 3', 'A prediction every second over 2 s windows, the 3 most probable classes')
        .example('$0 predict --run runs/x recordings/ --format csv > predictions.csv', 'CSV of every audio file under recordings/')
        .example('$0 predict --run runs/x', 'Submission files for the corpus\'s Test split')
        .example('$0 predict --run runs/x --split Val --out preds/', 'Validation predictions into preds/'),
    async (args) => {
      const flags = args as unknown as PredictFlags;
      if (flags.files && flags.files.length > 0) await predictFiles(flags, flags.files);
      else await predictSplit(flags);
    },
  );
}

/** Corpus mode: raw predictions and the submission files of the corpus's challenge. */
async function predictSplit(flags: PredictFlags): Promise<void> {
  for (const [flag, value] of [['--window', flags.window], ['--hop', flags.hop], ['--top', flags.top], ['--max-batch', flags.maxBatch], ['--threads', flags.threads]] as const) {
    if (value !== undefined) throw new ConfigError(`${flag} applies to predicting audio files: name them after the options`);
  }
  const session = await InferenceSession.open(flags.run, openOptions(flags));
  try {
    const result = await session.evaluate(flags.split as Split);
    const predictions = result.predictions!;
    const dir = flags.out ?? path.join(session.run.predictions, flags.split);
    mkdirSync(dir, { recursive: true });
    const raw = path.join(dir, 'predictions.csv');
    writeRawPredictions(raw, predictions);
    const files = [raw, ...writeSubmissions(dir, predictions, submissionKind(session.corpus.layout, session.config.model.kind))];
    if (flags.json) {
      console.log(JSON.stringify({ split: flags.split, checkpoint: session.checkpoint, clips: predictions.ids.length, files, loss: result.loss, metrics: result.report }));
      return;
    }
    console.log(`${predictions.ids.length} clips of ${flags.split}, checkpoint ${session.checkpoint}:`);
    for (const f of files) console.log(`  ${f}`);
    if (Object.keys(result.report.tasks).length > 0) console.log(`metrics where labels exist:\n${formatMetrics(result.report)}`);
  } finally {
    await session.close();
  }
}

/** Write to stdout; a closed pipe (`| head`) ends the output quietly. */
function writeOut(text: string): void {
  try {
    process.stdout.write(text);
  } catch {
    // EPIPE and the like: nobody is reading any more.
  }
}

/** File mode: every audio file named or found, predicted in shared batches, printed in order. */
async function predictFiles(flags: PredictFlags, args: string[]): Promise<void> {
  if (flags.data || flags.layout) throw new ConfigError('--data and --layout choose a corpus: leave them out when predicting files');
  if (flags.out) throw new ConfigError('--out is for corpus predictions: with files, redirect stdout (e.g. > predictions.jsonl)');
  const options: PredictOptions = {
    ...(flags.window !== undefined ? { window: flags.window } : {}),
    ...(flags.hop !== undefined ? { hop: flags.hop } : {}),
    ...(flags.top !== undefined ? { top: flags.top } : {}),
  };
  if (options.hop !== undefined && options.window === undefined) throw new ConfigError('--hop needs --window');
  if (options.window !== undefined && !(options.window > 0)) throw new ConfigError(`--window must be a positive number of seconds, got ${options.window}`);
  if (options.hop !== undefined && !(options.hop > 0)) throw new ConfigError(`--hop must be a positive number of seconds, got ${options.hop}`);
  if (options.top !== undefined && !(Number.isInteger(options.top) && options.top >= 1)) throw new ConfigError(`--top must be a positive integer, got ${options.top}`);
  const { files, problems } = expandAudioInputs(args);
  let failures = problems.length;
  for (const p of problems) console.error(`vbt: ${p.path}: ${p.reason}`);
  if (files.length === 0) {
    process.exitCode = 1;
    return;
  }
  const predictor = await Predictor.open(flags.run, {
    checkpoint: flags.checkpoint as 'best' | 'last',
    ...(flags.device ? { device: flags.device as never } : {}),
    ...(flags.maxBatch !== undefined ? { maxBatch: flags.maxBatch } : {}),
    ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
  });
  try {
    const csv = flags.format === 'csv';
    if (csv) writeOut(`${csvHeader(predictor.tasks, options.top)}\n`);
    const print = (result: PredictionResult) => {
      for (const w of result.windows) {
        const line: PredictionLine = { file: result.file, start: w.start, end: w.end, outputs: w.outputs };
        writeOut(`${csv ? csvRow(predictor.tasks, line, options.top) : predictionJson(line)}\n`);
      }
    };
    // Enough files in flight to fill device batches; results are printed in the order of the files.
    const concurrency = Math.min(64, Math.max(4, 2 * predictor.maxBatch));
    const done = new Map<number, PredictionResult | Error>();
    let next = 0;
    let printed = 0;
    const flush = () => {
      while (done.has(printed)) {
        const r = done.get(printed)!;
        done.delete(printed);
        if (r instanceof Error) {
          failures++;
          console.error(`vbt: ${r.message.startsWith(files[printed]!) ? r.message : `${files[printed]}: ${r.message}`}`);
        } else {
          print(r);
        }
        printed++;
      }
    };
    const worker = async () => {
      while (next < files.length) {
        const index = next++;
        try {
          done.set(index, await predictor.predict(files[index]!, options));
        } catch (error) {
          done.set(index, error instanceof Error ? error : new Error(String(error)));
        }
        flush();
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
    flush();
  } finally {
    await predictor.close();
  }
  if (failures > 0) {
    console.error(`vbt: ${failures} of ${files.length + problems.length} inputs could not be predicted`);
    process.exitCode = 1;
  }
}
