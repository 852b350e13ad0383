/**
 * Exports pretrained speech backbones (wav2vec2, HuBERT, data2vec-audio) to
 * TorchScript by running the Python exporter `models/export.py`, and returns
 * the metadata it stored in the archive (`vbt.json`).
 *
 * The exporter needs a Python with PyTorch. The interpreter is, in order:
 * `VBT_PYTHON`, else `/usr/bin/python3` if it imports torch (Debian's
 * `python3-torch` lives there), else `python3` if it imports torch.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BACKBONE_FAMILIES = ['wav2vec2', 'hubert', 'data2vec'] as const;
export type BackboneFamily = (typeof BACKBONE_FAMILIES)[number];

export const BACKBONE_CONFIGS = ['tiny', 'base', 'large'] as const;
export type BackboneConfigName = (typeof BACKBONE_CONFIGS)[number];

/** Where the weights come from. */
export type BackboneSource =
  | { kind: 'random'; seed?: number }
  | { kind: 'huggingface'; dir: string }
  | { kind: 'fairseq'; file: string };

/** Regularisation that replaces the source's own values (probabilities in [0, 1]). */
export interface DropoutOverrides {
  hiddenDropout?: number;
  attentionDropout?: number;
  activationDropout?: number;
  featProjDropout?: number;
  layerdrop?: number;
}

export interface ExportOptions {
  family: BackboneFamily;
  /** Named config: required for a random source; checked against a checkpoint otherwise. */
  config?: BackboneConfigName;
  source: BackboneSource;
  /** Output TorchScript archive (.pt). */
  out: string;
  /** Replace `out` if it exists (default: refuse). */
  overwrite?: boolean;
  dropout?: DropoutOverrides;
  /**
   * Normalise each waveform (zero mean, unit variance) before the backbone.
   * Default: as the source says (a Hugging Face folder's
   * preprocessor_config.json, a fairseq checkpoint's task settings, or what
   * every published checkpoint of the family does); an export where nothing
   * settles it fails and names this choice.
   */
  normalize?: boolean;
  /** Python interpreter; default: see resolvePython. */
  python?: string;
  signal?: AbortSignal;
}

/** The `vbt.json` record stored inside every exported archive. */
export interface BackboneMetadata {
  format: 'vbt-backbone';
  exporter_version: string;
  family: BackboneFamily;
  /** Named config whose architecture this is ("tiny", "base", "large"), or "custom". */
  config: BackboneConfigName | 'custom';
  hidden_size: number;
  num_layers: number;
  num_heads: number;
  intermediate_size: number;
  /** Output frames per second (50 for every published config). */
  frame_rate: number;
  sample_rate: number;
  /** Samples seen by one frame; also the shortest input that yields a frame. */
  receptive_field: number;
  conv_kernel: number[];
  conv_stride: number[];
  feat_extract_norm: 'group' | 'layer';
  stable_layer_norm: boolean;
  dropout: {
    hidden_dropout: number;
    attention_dropout: number;
    activation_dropout: number;
    feat_proj_dropout: number;
    layerdrop: number;
  };
  parameter_count: number;
  /** Parameter-name prefix of the conv feature encoder, to freeze it by name. */
  feature_encoder_prefix: string;
  feature_encoder_parameter_count: number;
  /** Whether the checkpoint's preprocessing normalised each waveform (zero mean, unit variance); null only in exports older than 1.1.0. */
  input_normalization: boolean | null;
  /** Where input_normalization came from, in words (`--normalize on`, `preprocessor_config.json do_normalize=true`, ...); absent before 1.1.0. */
  input_normalization_source?: string | null;
  /**
   * SpecAugment-style time masking the archive applies in train mode, as the
   * source was trained (a Hugging Face config.json's mask_time_prob,
   * mask_time_length, mask_time_min_masks; off for a random initialisation).
   * Absent in exports older than 1.1.0, which cannot mask.
   */
  time_masking?: TimeMaskingMetadata | null;
  /** Where the weights came from, in words. */
  source: string;
  source_details: Record<string, unknown>;
  architecture: Record<string, unknown>;
  torch_version: string;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}

/** The time-masking settings an export records (see BackboneMetadata.time_masking). */
export interface TimeMaskingMetadata {
  mask_time_prob: number;
  mask_time_length: number;
  mask_time_min_masks: number;
  /** Where the settings came from, in words. */
  source: string;
  /** How masked_spec_embed was made when the source had none. */
  masked_spec_embed?: string;
}

export interface ExportSummary {
  /** Absolute path of the archive. */
  out: string;
  /** Seconds the exporter took (without interpreter start-up). */
  seconds: number;
  metadata: BackboneMetadata;
  /** The interpreter that ran the exporter. */
  python: string;
}

/** An export that failed; `kind` is the exporter's error class (e.g. "weight_mismatch", "source_error"). */
export class BackboneExportError extends Error {
  override readonly name = 'BackboneExportError';
  constructor(
    message: string,
    readonly kind: string,
    readonly exitCode: number | null = null,
    readonly stderr = '',
  ) {
    super(message);
  }
}

const INSTALL_HINT =
  'The backbone exporter needs Python with PyTorch. On Debian/Ubuntu: ' +
  '`sudo apt-get install python3-torch python3-torchaudio`; elsewhere `pip install torch`; ' +
  'or set VBT_PYTHON to an interpreter that can `import torch`.';

/** The package root: the nearest folder above this file that holds models/export.py. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'models', 'export.py'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find models/export.py above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** Path of the Python exporter CLI. */
export function exporterScript(): string {
  return path.join(packageRoot(), 'models', 'export.py');
}

/** Runs `python -c "import torch"`; true when it succeeds. */
function importsTorch(python: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 120_000 });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}

const resolved = new Map<string, Promise<string>>();

/**
 * The interpreter for the exporter: `VBT_PYTHON` (which must import torch),
 * else `/usr/bin/python3` if it imports torch, else `python3` if it does.
 * Rejects with an install hint when none does. Cached per VBT_PYTHON value.
 */
export function resolvePython(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const key = env.VBT_PYTHON ?? '';
  let found = resolved.get(key);
  if (!found) {
    found = findPython(env.VBT_PYTHON);
    // A failure is not cached: the user may install torch and retry in the same process.
    found.catch(() => resolved.delete(key));
    resolved.set(key, found);
  }
  return found;
}

async function findPython(fromEnv: string | undefined): Promise<string> {
  if (fromEnv) {
    if (await importsTorch(fromEnv)) return fromEnv;
    throw new BackboneExportError(`VBT_PYTHON=${fromEnv} cannot import torch. ${INSTALL_HINT}`, 'no_python');
  }
  const candidates = ['/usr/bin/python3', 'python3'];
  for (const candidate of candidates) {
    if (candidate.startsWith('/') && !existsSync(candidate)) continue;
    if (await importsTorch(candidate)) return candidate;
  }
  throw new BackboneExportError(`No Python with PyTorch found (tried ${candidates.join(', ')}). ${INSTALL_HINT}`, 'no_python');
}

/** The exporter's command-line arguments for `options` (after the script path). */
export function buildExportArgs(options: ExportOptions): string[] {
  const args = ['--family', options.family];
  if (options.config) args.push('--config', options.config);
  const source = options.source;
  switch (source.kind) {
    case 'random':
      if (!options.config) throw new BackboneExportError('a random backbone needs a named config', 'usage');
      args.push('--random', '--seed', String(source.seed ?? 0));
      break;
    case 'huggingface':
      args.push('--hf', source.dir);
      break;
    case 'fairseq':
      args.push('--fairseq', source.file);
      break;
  }
  args.push('--out', options.out);
  if (options.overwrite) args.push('--overwrite');
  if (options.normalize !== undefined) args.push('--normalize', options.normalize ? 'on' : 'off');
  const dropout = options.dropout ?? {};
  const flags: [keyof DropoutOverrides, string][] = [
    ['hiddenDropout', '--hidden-dropout'],
    ['attentionDropout', '--attention-dropout'],
    ['activationDropout', '--activation-dropout'],
    ['featProjDropout', '--feat-proj-dropout'],
    ['layerdrop', '--layerdrop'],
  ];
  for (const [field, flag] of flags) {
    const value = dropout[field];
    if (value === undefined) continue;
    if (!(value >= 0 && value <= 1)) throw new BackboneExportError(`${field} must be in [0, 1], got ${value}`, 'usage');
    args.push(flag, String(value));
  }
  return args;
}

/**
 * Exports a backbone to `options.out` and returns the exporter's summary.
 * Rejects with BackboneExportError (its `kind` and message come from the
 * exporter: a bad folder, weights that do not fit, an existing output...).
 */
export async function exportBackbone(options: ExportOptions): Promise<ExportSummary> {
  const args = [exporterScript(), ...buildExportArgs(options)];
  const python = options.python ?? (await resolvePython());
  const { code, stdout, stderr } = await run(python, args, options.signal);
  const line = stdout.trim().split('\n').pop() ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    const tail = stderr.trim().split('\n').slice(-5).join('\n');
    throw new BackboneExportError(`the exporter failed (exit ${code}) without a result:\n${tail}`, 'crash', code, stderr);
  }
  const result = parsed as { ok: boolean; out?: string; seconds?: number; metadata?: BackboneMetadata; error?: { kind: string; message: string } };
  if (!result.ok || code !== 0 || !result.metadata || !result.out) {
    const error = result.error ?? { kind: 'crash', message: `the exporter exited with ${code}` };
    throw new BackboneExportError(error.message, error.kind, code, stderr);
  }
  return { out: result.out, seconds: result.seconds ?? 0, metadata: result.metadata, python };
}

/** "on (preprocessor_config.json do_normalize=true)": whether an export normalises its input, and why. */
export function describeInputNormalization(metadata: BackboneMetadata): string {
  const state = metadata.input_normalization === true ? 'on' : metadata.input_normalization === false ? 'off' : 'off (unknown: exported before vbt recorded it)';
  return metadata.input_normalization_source ? `${state} (${metadata.input_normalization_source})` : state;
}

function run(command: string, args: string[], signal?: AbortSignal): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      const aborted = (error as NodeJS.ErrnoException).name === 'AbortError';
      reject(new BackboneExportError(aborted ? 'the export was aborted' : `cannot run ${command}: ${error.message}`, aborted ? 'aborted' : 'no_python'));
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
