import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { ensureDevRealm, loadRealmFile } from '@tessera/config';
import { issuerV1 } from '@tessera/contracts';
import { unaryCall } from '@tessera/grpc-runtime';
import { type Command, Option } from 'commander';

// The bundled CLI lives in packages/cli/dist; the services' bundles sit beside it in the tree.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ISSUER_MAIN = resolve(ROOT, 'services/issuer/dist/main.js');
const READY_TIMEOUT_MS = 20_000;

interface StartOptions {
  dataDir: string;
  config?: string;
  issuerAddress: string;
  issuerMetricsAddress: string;
  logLevel: string;
}

/** Resolves once the issuer answers an RPC, or rejects when it exits or takes too long. */
async function waitUntilServing(address: string, child: ChildProcess): Promise<void> {
  const client = new issuerV1.IssuerServiceClient(address, credentials.createInsecure());
  const started = Date.now();
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  try {
    for (;;) {
      if (exited) throw new Error('the issuer exited during start-up (see its log above)');
      try {
        await unaryCall(client.getJwks.bind(client), { tenantId: '' }, { deadlineMs: 500 });
        return;
      } catch {
        if (Date.now() - started > READY_TIMEOUT_MS)
          throw new Error(`the issuer did not answer on ${address} within ${READY_TIMEOUT_MS} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    client.close();
  }
}

/** `tessera start`: the whole stack on its embedded defaults, for development. */
export function registerStartCommand(program: Command, out: (line: string) => void): void {
  program
    .command('start')
    .description(
      'run the stack: a development realm (created on first start, reused after) and the issuer',
    )
    .addOption(
      new Option('--data-dir <dir>', 'where the development realm and keys live')
        .env('TESSERA_DATA_DIR')
        .default('.data'),
    )
    .addOption(
      new Option('--config <file>', 'use this realm file instead of the development realm').env(
        'TESSERA_CONFIG',
      ),
    )
    .addOption(
      new Option('--issuer-address <host:port>', 'issuer gRPC address')
        .env('ISSUER_ADDRESS')
        .default('127.0.0.1:50051'),
    )
    .addOption(
      new Option('--issuer-metrics-address <host:port>', 'issuer /metrics address')
        .env('ISSUER_METRICS_ADDRESS')
        .default('127.0.0.1:9464'),
    )
    .addOption(
      new Option('--log-level <level>', 'log level of the services')
        .env('LOG_LEVEL')
        .default('info'),
    )
    .action(async (options: StartOptions) => {
      let realmFile: string;
      let devKey: string | undefined;
      let note: string;
      if (options.config) {
        realmFile = resolve(options.config);
        loadRealmFile(realmFile);
        note = 'given realm';
      } else {
        const dev = await ensureDevRealm(resolve(options.dataDir));
        realmFile = dev.realmFile;
        devKey = dev.apiKey;
        note = dev.created ? 'development realm, created now' : 'development realm, reused';
      }
      const issuer = spawn(process.execPath, ['--enable-source-maps', ISSUER_MAIN], {
        stdio: 'inherit',
        env: {
          ...process.env,
          TESSERA_CONFIG: realmFile,
          ISSUER_ADDRESS: options.issuerAddress,
          ISSUER_METRICS_ADDRESS: options.issuerMetricsAddress,
          LOG_LEVEL: options.logLevel,
        },
      });
      const children = [issuer];
      let stopping = false;
      const stopAll = (signal: NodeJS.Signals) => {
        stopping = true;
        for (const child of children) if (child.exitCode === null) child.kill(signal);
      };
      process.on('SIGINT', () => stopAll('SIGTERM'));
      process.on('SIGTERM', () => stopAll('SIGTERM'));
      issuer.once('exit', (code, signal) => {
        if (!stopping)
          out(`the issuer stopped unexpectedly (${signal ?? `exit ${code}`}); stopping`);
        stopAll('SIGTERM');
        process.exitCode = stopping && (code === 0 || signal === 'SIGTERM') ? 0 : 1;
      });

      await waitUntilServing(options.issuerAddress, issuer);
      const tenant = loadRealmFile(realmFile).document.tenants[0];
      const keyHeader = devKey ? `-H 'authorization: ${devKey}' ` : '';
      out('');
      out(`tessera is running (${note})`);
      out(`  realm file    ${realmFile}`);
      out(
        `  issuer gRPC   ${options.issuerAddress}   (reflection on: grpcurl -plaintext ${options.issuerAddress} list)`,
      );
      out(`  metrics       http://${options.issuerMetricsAddress}/metrics`);
      if (tenant) out(`  tenant        ${tenant.name} ${tenant.id}  iss=${tenant.issuer}`);
      if (devKey) out(`  dev API key   ${devKey}`);
      out('');
      out('Vend a token:');
      out(
        `  grpcurl -plaintext ${keyHeader}-d '{"claims_json":"{\\"sub\\":\\"me\\"}"}' ${options.issuerAddress} tessera.issuer.v1.IssuerService/Vend`,
      );
      out('Ctrl-C stops the stack.');
    });
}
