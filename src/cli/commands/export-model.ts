/** `vbt export-model`: a trained run's whole model as one TorchScript file (see src/predict/export-model.ts). */
import type { Argv } from 'yargs';
import { exportWholeModel } from '../../predict/export-model.js';

export function exportModelCommand(yargs: Argv): Argv {
  return yargs.command(
    'export-model',
    'Write a trained run\'s whole model (backbone, pooling, heads) as one TorchScript file that torch.jit.load reads alone',
    (y) =>
      y
        .option('run', { type: 'string', demandOption: true, describe: 'Run folder written by `vbt train`' })
        .option('out', { type: 'string', demandOption: true, describe: 'The TorchScript file to write (e.g. model.pt)' })
        .option('checkpoint', { type: 'string', choices: ['best', 'last'], default: 'best', describe: 'Checkpoint to export' })
        .option('overwrite', { type: 'boolean', default: false, describe: 'Replace --out if it exists' })
        .example('$0 export-model --run runs/x --out model.pt', 'The best checkpoint as model.pt')
        .example(
          "python3 -c \"import torch; m = torch.jit.load('model.pt'); print(m(torch.zeros(1, 16000), torch.tensor([16000])))\"",
          'Use it from Python (audio preprocessed as its vbt.json says)',
        ),
    async (args) => {
      const flags = args as unknown as { run: string; out: string; checkpoint: 'best' | 'last'; overwrite: boolean };
      const summary = await exportWholeModel({ run: flags.run, out: flags.out, checkpoint: flags.checkpoint, overwrite: flags.overwrite });
      const outputs = Object.keys((summary.metadata.outputs as Record<string, unknown> | undefined) ?? {});
      console.log(`wrote ${summary.out} (${flags.checkpoint} checkpoint; outputs ${outputs.join(', ')}; ${summary.seconds.toFixed(1)} s)`);
      console.log('inputs: waveforms float32 [batch, samples] and lengths int64 [batch]; preprocessing: see the vbt.json inside the file');
    },
  );
}
