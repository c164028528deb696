import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevRealm } from '@tessera/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../packages/cli/test/support/bundles.js';
import { runNode } from '../../packages/cli/test/support/node-process.js';

// A service that cannot serve must end, not linger: a process that logged "failed to start"
// but kept its clients, streams and metrics listener open would look alive to a supervisor
// (and to a liveness probe on another port) while answering nothing.

let dataDir: string;
let pepper: string;
let taken: Server;
let takenAddress: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tessera-start-failure-'));
  await ensureDevRealm(dataDir);
  pepper = Buffer.alloc(32, 7).toString('base64');
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const address = taken.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  takenAddress = `127.0.0.1:${address.port}`;
});

afterAll(() => {
  taken?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const bundle = (service: string) => join(REPO_ROOT, 'services', service, 'dist/main.js');

describe('a service whose port is taken', () => {
  const cases = () => ({
    issuer: { ISSUER_ADDRESS: takenAddress, ISSUER_METRICS_ADDRESS: '127.0.0.1:0' },
    session: {
      SESSION_ADDRESS: takenAddress,
      SESSION_METRICS_ADDRESS: '127.0.0.1:0',
      SESSION_STORE: 'memory',
      TESSERA_TOKEN_PEPPER: pepper,
    },
  });

  it.each(['issuer', 'session'] as const)(
    '%s logs why at fatal level and exits 1 instead of lingering',
    async (service) => {
      const result = await runNode(bundle(service), [], {
        env: { TESSERA_CONFIG: join(dataDir, 'realm.yaml'), ...cases()[service] },
        timeoutMs: 20_000,
      });
      expect(result.code).toBe(1);
      const fatal = `${result.stdout}${result.stderr}`
        .split('\n')
        .find((line) => line.includes('"level":"fatal"'));
      expect(fatal).toMatch(/failed to start/);
      expect(fatal).toMatch(/EADDRINUSE|address already in use/);
    },
  );
});
