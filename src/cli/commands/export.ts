/** `vbt export`: a speech backbone to TorchScript for vbt (runs the Python exporter). */
import type { Argv } from 'yargs';
import { BACKBONE_CONFIGS, BACKBONE_FAMILIES, type BackboneSource, describeInputNormalization, exportBackbone } from '../../model/exporter.js';

export function exportCommand(yargs: Argv): Argv {
  return yargs.command(
    'export',
    'Export wav2vec2, HuBERT or data2vec-audio weights to a TorchScript backbone (needs Python with torch)',
    (y) =>
      y
        .option('family', { type: 'string', choices: [...BACKBONE_FAMILIES], demandOption: true, describe: 'Model family' })
        .option('config', { type: 'string', choices: [...BACKBONE_CONFIGS], describe: 'Named architecture (required with --random)' })
        .option('hf', { type: 'string', describe: 'Hugging Face model folder (config.json + model.safetensors or pytorch_model.bin)' })
        .option('fairseq', { type: 'string', describe: 'fairseq checkpoint file (wav2vec2, HuBERT)' })
        .option('random', { type: 'boolean', describe: 'Random initialisation of --config' })
        .option('seed', { type: 'number', default: 0, describe: 'Seed of --random' })
        .option('out', { type: 'string', demandOption: true, describe: 'Output .pt file' })
        .option('overwrite', { type: 'boolean', default: false, describe: 'Replace an existing output' })
        .option('normalize', {
          type: 'string',
          choices: ['on', 'off'],
          describe: 'Normalise each waveform to zero mean and unit variance first (default: as the source says; required where nothing says)',
        })
        .check((a) => {
          const n = [a.hf, a.fairseq, a.random].filter(Boolean).length;
          if (n !== 1) throw new Error('give exactly one source: --hf DIR, --fairseq FILE or --random');
          if (a.random && !a.config) throw new Error('--random needs --config tiny|base|large');
          return true;
        })
        .example('$0 export --family data2vec --hf ./data2vec-audio-base-960h --out d2v-base.pt', 'From a Hugging Face folder')
        .example('$0 export --family hubert --config tiny --random --out hubert-tiny.pt', 'A tiny random model for tests'),
    async (args) => {
      const source: BackboneSource = args.hf
        ? { kind: 'huggingface', dir: args.hf }
        : args.fairseq
          ? { kind: 'fairseq', file: args.fairseq }
          : { kind: 'random', seed: args.seed };
      const summary = await exportBackbone({
        family: args.family as never,
        ...(args.config ? { config: args.config as never } : {}),
        source,
        out: args.out,
        overwrite: args.overwrite,
        ...(args.normalize ? { normalize: args.normalize === 'on' } : {}),
      });
      const m = summary.metadata;
      console.log(`exported ${m.family} (${m.config}, hidden ${m.hidden_size}, ${m.num_layers} layers, ${(m.parameter_count / 1e6).toFixed(1)} M parameters) to ${args.out}`);
      console.log(`input normalisation: ${describeInputNormalization(m)}`);
      if (m.time_masking) {
        const t = m.time_masking;
        console.log(`time masking in training: probability ${t.mask_time_prob}, spans of ${t.mask_time_length} frames (${t.source}; backbone.timeMasking changes it)`);
      }
    },
  );
}
