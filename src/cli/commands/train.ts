/** `vbt train`: train a recipe; with no arguments, the demo on a synthetic corpus. */
import type { Argv } from 'yargs';
import { TASK_SPECS, type Task } from '../../tasks.js';
import { DataParallel } from '../../distributed/data-parallel.js';
import { exitWithLauncher, launchWorkers, planLaunch, workerArguments } from '../../distributed/launch.js';
import type { OwnSettings } from '../../train/strategy.js';
import { Trainer } from '../../train/trainer.js';
import { type ConfigFlags, type DistributedFlags, configFromFlags, withConfigFlags, withDistributedFlags } from '../config-flags.js';

export function trainCommand(yargs: Argv): Argv {
  return yargs.command(
    'train',
    'Train a multitask model (default: the demo recipe on a synthetic corpus, CPU, about a minute)',
    (y) =>
      withDistributedFlags(withConfigFlags(y))
        .option('resume', { type: 'string', describe: 'Continue the run in this folder from checkpoints/last', group: 'Output:' })
        .option('json', { type: 'boolean', default: false, describe: 'Print the outcome as one JSON object on stdout (logs stay on stderr)', group: 'Output:' })
        .example('$0 train', 'The demo: tiny backbone, synthetic A-VB corpus, CPU')
        .example('$0 train --recipe avb-mtl --data ~/A-VB --backbone data2vec-base.pt', 'Recipe A on the A-VB corpus')
        .example('$0 train --recipe avb-mtl --data ~/A-VB --backbone d2v.pt --set model.regressionOutput=sigmoid', 'The paper\'s variant with sigmoid outputs')
        .example('$0 train --resume runs/avb-mtl-2026-11-23T10-00-00', 'Continue an interrupted run')
        .example('$0 train --nproc 4 --recipe avb-mtl --data ~/A-VB --backbone d2v.pt', 'Data-parallel on the 4 GPUs of this machine'),
    async (args) => {
      const flags = args as ConfigFlags & DistributedFlags & { resume?: string; json: boolean };
      // Data parallelism: start workers (--nproc), or be one (RANK/WORLD_SIZE set), or neither.
      const plan = planLaunch(flags, process.env, {
        ...(flags.distBackend ? { backend: flags.distBackend } : {}),
        ...(flags.distTimeout !== undefined ? { timeoutSeconds: flags.distTimeout } : {}),
      });
      if (plan.kind === 'launch') {
        const { nproc, nnodes, nodeRank, masterAddr, masterPort } = plan;
        const result = await launchWorkers({
          nproc,
          nnodes,
          nodeRank,
          ...(masterAddr !== undefined ? { masterAddr } : {}),
          ...(masterPort !== undefined ? { masterPort } : {}),
          command: process.execPath,
          args: [...process.execArgv, process.argv[1]!, ...workerArguments(process.argv.slice(2))],
        });
        process.exitCode = result.exitCode;
        return;
      }
      const distributed = plan.kind === 'worker' ? plan.options : undefined;
      if (distributed) exitWithLauncher();
      let own: OwnSettings;
      if (flags.resume) {
        own = {
          resume: flags.resume,
          resumeOverrides: {
            ...(flags.device ? { device: flags.device as never } : {}),
            ...(flags.threads ? { threads: flags.threads } : {}),
            ...(flags.progress ? { progress: flags.progress as never } : {}),
          },
        };
      } else {
        own = { config: configFromFlags(flags) };
      }
      // Joining the rendezvous blocks until every worker has joined (or its timeout); the Trainer closes it.
      const strategy = distributed ? DataParallel.connect(distributed) : undefined;
      const trainer = await Trainer.create({ ...own, handleSignals: true, ...(strategy ? { strategy } : {}) });
      try {
        const started = performance.now();
        const result = await trainer.fit();
        // In a data-parallel run rank 0 reports; the other ranks only say how they ended.
        if (distributed && distributed.rank !== 0) {
          if (result.status === 'interrupted') process.exitCode = 130;
          return;
        }
        const minutes = (performance.now() - started) / 60000;
        if (flags.json) {
          // One object on stdout for scripts; the progress and logs went to stderr.
          console.log(JSON.stringify({ ...result, monitor: trainer.config.train.monitor, minutes: Number(minutes.toFixed(3)) }));
          if (result.status === 'interrupted') process.exitCode = 130;
          return;
        }
        console.log(`\n${result.status === 'completed' ? 'done' : result.status} after ${result.globalStep} steps in ${minutes.toFixed(1)} min${result.reason ? ` (${result.reason})` : ''}`);
        if (result.final) {
          console.log(`best checkpoint on Val (${trainer.config.train.monitor.name} ${result.best?.value.toFixed(4)} at step ${result.best?.step}):`);
          for (const [task, r] of Object.entries(result.final.tasks)) {
            console.log(`  ${task.padEnd(8)} ${TASK_SPECS[task as Task].metric.toUpperCase().padEnd(4)} ${r!.value.toFixed(3)}`);
          }
        }
        console.log(`run folder: ${result.runDir}`);
        console.log(`report:     ${result.reportPath}`);
        if (result.status === 'interrupted') {
          console.log(`continue with: vbt train --resume ${result.runDir}`);
          process.exitCode = 130;
        }
      } finally {
        await trainer.close();
      }
    },
  );
}
