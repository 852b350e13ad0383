/**
 * Training from code: the README's "From code" example, compiled with
 * `tsc --strict` against the installed package and run by CI.
 *
 * It trains the built-in demo (a synthetic corpus and a tiny backbone, on the
 * CPU) for one short stage; for real data give a recipe and your corpus, e.g.
 *   resolveConfig({ recipe: 'avb-mtl', overrides: [['data.corpus', { kind: 'avb', root: '/data/A-VB' }], ['backbone.path', 'd2v-base.pt']] })
 */
import { Trainer, resolveConfig, type TrainerCallbacks } from 'vbt';

const config = resolveConfig({
  recipe: 'demo',
  overrides: [
    ['train.stages', [{ name: 'finetune', freeze: 'none', lr: 3e-3, epochs: 1, maxSteps: 6, patience: 2 }]],
    ['train.progress', 'none'],
    ['output.name', 'from-code'],
    ['output.overwrite', true],
  ],
});

// Callbacks see every event; returning false stops training after the current step.
const report: TrainerCallbacks = {
  onValidation: (ctx, v) => console.log(`step ${ctx.globalStep}: ${config.train.monitor.name} ${v.monitor.toFixed(4)}${v.improved ? ' (best so far)' : ''}`),
};

const trainer = await Trainer.create({ config, callbacks: [report] });
try {
  const result = await trainer.fit(); // { status, best, final (metrics on Val), runDir, reportPath }
  console.log(`${result.status} after ${result.globalStep} steps; run folder ${result.runDir}`);
  for (const [task, metric] of Object.entries(result.final?.tasks ?? {})) console.log(`  ${task}: ${metric?.value.toFixed(3)}`);
} finally {
  await trainer.close();
}
