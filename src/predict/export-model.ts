/**
 * A whole trained model as one TorchScript file (`vbt export-model`):
 * backbone + pooling (the masked mean, or the run's padded mean) + the
 * recipe's heads, built by the Python
 * exporter models/export_model.py from the run's backbone export and its
 * checkpoint's heads.safetensors. It loads in Python with torch.jit.load
 * alone:
 *
 *   model = torch.jit.load('model.pt', _extra_files=extra)   # extra = {'vbt.json': ''}
 *   outputs = model(waveforms, lengths)   # float32 [B, T] at the sample rate, int64 [B]
 *   outputs['high']                       # [B, 10]; outputs['age'] is [B, 1] in years
 *
 * Inside: the backbone's own input normalisation (when its metadata says the
 * checkpoint was trained with it) and the covering of rows longer than
 * data.preprocess.maxSeconds by averaged windows. Outside, the caller's
 * part (vbt.json's "preprocessing" says it): mono (the channels' average),
 * the sample rate, and the run's RMS loudness normalisation, as `Predictor`
 * applies them before the model.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_RESAMPLER_DESIGN } from '../audio/resampler.js';
import { ConfigError } from '../config/errors.js';
import { packageRoot, resolvePython } from '../model/exporter.js';
import { type CheckpointKind, readCheckpoint } from '../run/checkpoint.js';
import { prepareBackbone } from '../run/prepare.js';
import { RunDir } from '../run/run-dir.js';
import { TASKS, TASK_SPECS } from '../tasks.js';
import { temporarySibling } from '../util/atomic-write.js';

export interface ExportModelOptions {
  /** The run folder. */
  readonly run: string;
  /** The TorchScript file to write. */
  readonly out: string;
  /** Default 'best'. */
  readonly checkpoint?: CheckpointKind;
  /** Replace `out` if it exists. */
  readonly overwrite?: boolean;
  /** Interpreter (default: as `vbt export`: VBT_PYTHON, /usr/bin/python3, python3 with torch). */
  readonly python?: string;
  readonly log?: (line: string) => void;
}

export interface ExportModelSummary {
  readonly out: string;
  /** Seconds the exporter took. */
  readonly seconds: number;
  /** The vbt.json record stored in the file. */
  readonly metadata: Record<string, unknown>;
}

/** Path of the Python script. */
export function modelExporterScript(): string {
  return path.join(packageRoot(), 'models', 'export_model.py');
}

/** The vbt.json record besides what the exporter adds from the backbone (sample rate, windows, backbone facts). */
function metadataOf(run: RunDir, config: ReturnType<RunDir['readConfig']>, checkpoint: CheckpointKind, globalStep: number): Record<string, unknown> {
  const tasks = TASKS.filter((t) => config.model.tasks.includes(t));
  const outputs: Record<string, unknown> = {};
  for (const task of tasks) {
    const spec = TASK_SPECS[task];
    outputs[task] =
      spec.kind === 'classification'
        ? { kind: 'classification', shape: ['batch', spec.size], classes: spec.labels, unit: 'probability' }
        : { kind: 'regression', shape: ['batch', spec.size], labels: spec.labels, unit: task === 'age' ? 'years' : '0-1' };
  }
  const pre = config.data.preprocess;
  return {
    format: 'vbt-model',
    format_version: 1,
    run: run.name,
    recipe: config.recipe,
    model: config.model.kind,
    checkpoint,
    global_step: globalStep,
    inputs: {
      waveforms: 'float32 [batch, samples]: mono audio at sample_rate, preprocessed as "preprocessing" says, zero-padded on the right',
      lengths: 'int64 [batch]: valid samples of each row',
    },
    outputs,
    preprocessing: {
      channels: 'mono: the average of the channels',
      resampling: `to sample_rate; vbt uses a Kaiser-windowed sinc (passband to ${DEFAULT_RESAMPLER_DESIGN.passbandEdge} of the lower Nyquist, ${DEFAULT_RESAMPLER_DESIGN.stopbandAttenuationDb} dB stopband)`,
      loudness: pre.normalize
        ? { rms_normalize: true, target_dbfs: pre.targetDbfs, silence_dbfs: -80, rule: 'multiply the whole clip by 10^((target_dbfs - level) / 20), level = 20·log10(RMS) with RMS relative to 1.0; clips with level ≤ silence_dbfs are left as they are' }
        : { rms_normalize: false },
      inside_the_model: [
        'the backbone\'s input normalisation (zero mean, unit variance per row) when backbone.input_normalization is true',
        'rows longer than windows.max_samples are covered by equal windows whose pooled features are averaged by length',
        'pooling: the mean over each row\'s frames, or (pooling.kind "padded-mean") rows zero-padded to pooling.pad_to samples and the mean over all frames',
      ],
    },
  };
}

function run(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => reject(new ConfigError(`cannot run ${command}: ${error.message}`)));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Export a run's model. The file is written under a temporary name and
 * renamed into place, so `out` is never half-written.
 * @throws ConfigError naming what is wrong (no such run or checkpoint, an existing `out`, heads that do not fit)
 */
export async function exportWholeModel(options: ExportModelOptions): Promise<ExportModelSummary> {
  const log = options.log ?? ((line: string) => console.error(line));
  const runDir = RunDir.open(options.run);
  const config = runDir.readConfig();
  const kind = options.checkpoint ?? 'best';
  const ckpt = readCheckpoint(runDir, kind);
  if (!ckpt) throw new ConfigError(`${runDir.path} has no checkpoints/${kind} (did training reach its first validation?)`);
  const out = path.resolve(options.out);
  if (existsSync(out) && !options.overwrite) throw new ConfigError(`${out} exists (choose another --out, or --overwrite)`);
  mkdirSync(path.dirname(out), { recursive: true });
  const backbone = ckpt.backbone ?? (await prepareBackbone(config.backbone, config.data.cacheDir, log));
  const python = options.python ?? (await resolvePython());
  // TorchScript names the archive's inner folder after the file: write under the final name, inside a temporary folder.
  const folder = temporarySibling(out);
  mkdirSync(folder, { recursive: true });
  try {
    const inner = path.join(folder, path.basename(out));
    const spec = path.join(folder, 'spec.json');
    writeFileSync(
      spec,
      JSON.stringify({
        backbone,
        heads: ckpt.heads,
        model: config.model,
        max_seconds: config.data.preprocess.maxSeconds,
        out: inner,
        metadata: metadataOf(runDir, config, kind, ckpt.state.globalStep),
      }),
    );
    const { code, stdout, stderr } = await run(python, [modelExporterScript(), '--spec', spec]);
    let result: { ok?: boolean; seconds?: number; metadata?: Record<string, unknown>; error?: { kind: string; message: string } } | undefined;
    try {
      result = JSON.parse(stdout.trim().split('\n').pop() ?? '') as typeof result;
    } catch {
      result = undefined;
    }
    if (!result?.ok || code !== 0 || !result.metadata) {
      const why = result?.error?.message ?? `the exporter failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`;
      throw new ConfigError(why);
    }
    renameSync(inner, out);
    return { out, seconds: result.seconds ?? 0, metadata: result.metadata };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
