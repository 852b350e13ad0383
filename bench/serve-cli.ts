// Runs the vbt CLI from the TypeScript sources (bench/serve.ts starts `vbt train` and `vbt serve` with it).
import { main } from '../src/cli/main.js';

await main(process.argv.slice(2));
