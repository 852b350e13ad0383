import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native tests load LibTorch: separate processes keep a crash contained
    // and give each file its own thread-local torch state.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 300_000,
  },
});
