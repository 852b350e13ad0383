import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native tests load LibTorch: separate processes keep a crash contained
    // and give each file its own thread-local torch state.
    pool: 'forks',
    // Test files run in parallel processes; LibTorch's OpenMP threads would
    // oversubscribe the cores (and spin) unless each process keeps to one.
    env: { OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '1' },
    testTimeout: 60_000,
    hookTimeout: 300_000,
  },
});
