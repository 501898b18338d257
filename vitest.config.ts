import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'demo-supplier/**/*.test.ts'],
    // Each test file that needs a database starts one embedded Postgres
    // (about 3 s); whole journeys through the provider take a few seconds more.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two files at a time on CI's 2 cores: most of a file's time is spent waiting (browsers,
    // child instances, PostgreSQL), so this cut the suite from about 13 to 11 minutes.
    maxWorkers: 2,
  },
});
