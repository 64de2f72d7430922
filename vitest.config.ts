import { defineConfig } from 'vitest/config';

/**
 * Test projects (`npm run test:<name>`; `npm test` runs all four). Every *.test.ts under
 * packages/{name}/test, examples/{name}/test, bench/test and deploy/test belongs to exactly one project;
 * `scripts/check-test-projects.mjs` (part of `npm run lint`) fails when one belongs to none or two.
 *
 * - unit: no sockets, no databases, no child processes: packages/{name}/test/unit, the protocol
 *   package, and the SDK's pure modules.
 * - browser: the web page in headless Chromium.
 * - bench: the benchmark harness's smoke run.
 * - integration: everything else under packages/, examples/ and deploy/ (real server on port 0, real
 *   SQLite/PostgreSQL/MariaDB/Redis, miniprogram-simulate, chaos), so a new test folder lands here
 *   unless it is named into another project.
 */
const UNIT = ['packages/*/test/unit/**/*.test.ts', 'packages/protocol/test/**/*.test.ts', 'packages/sdk/test/{connection,store,time}.test.ts'];
const BROWSER = ['examples/web/test/**/*.test.ts'];
const BENCH = ['bench/test/**/*.test.ts'];
const INTEGRATION = ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'deploy/test/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      { extends: true, test: { name: 'integration', include: INTEGRATION, exclude: [...UNIT, ...BROWSER, '**/node_modules/**'] } },
      { extends: true, test: { name: 'browser', include: BROWSER } },
      { extends: true, test: { name: 'bench', include: BENCH } },
    ],
  },
});
