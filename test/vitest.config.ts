import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('..', import.meta.url));

// Workspace packages export their TypeScript sources under the `tessera-source` condition (see
// packages/README.md), so tests run on sources and never need a build; `node` and the mode follow,
// as in Vite's default server conditions, but not `module`: that would pick bundler-only ESM
// builds of some dependencies (@opentelemetry/api's uses extensionless imports Node refuses).
const conditions = ['tessera-source', 'node', 'development|production'];

export default defineConfig({
  root,
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    // Integration suites start real servers; keep two workers on a two-core machine.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
