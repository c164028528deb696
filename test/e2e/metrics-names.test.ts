import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { loadRealmFile } from '@tessera/config';
import { issuerV1 } from '@tessera/contracts';
import { unaryCall } from '@tessera/grpc-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bundles, buildBundles, REPO_ROOT } from '../../packages/cli/test/support/bundles.js';
import { ProcessTracker, runNode } from '../../packages/cli/test/support/node-process.js';
import { freePort } from '../../packages/cli/test/support/ports.js';

// Scrapes a live stack (`tessera start`: Redis, session, issuer, gateway) after real traffic
// and checks the metric names and labels operators' dashboards rely on: the go-grpc-prometheus
// conventions on servers and clients, local validation, Redis latency, and every metric that
// deploy/grafana/tessera-dashboard.json queries.

/** Sample name → the label names seen on it, across every scraped target. */
type Exposition = Map<string, Set<string>>;

function parseExposition(text: string, into: Exposition): void {
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s/.exec(line);
    if (!match?.[1]) continue;
    const labels = into.get(match[1]) ?? new Set<string>();
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g))
      if (pair[1]) labels.add(pair[1]);
    into.set(match[1], labels);
  }
}

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
]);
// Labels Prometheus adds when it scrapes, never exposed by a target.
const TARGET_LABELS = new Set(['job', 'instance', 'le']);

/** The metric names and label names a PromQL expression refers to. */
function referencesOf(expr: string): { metrics: string[]; labels: string[] } {
  const labels = new Set<string>();
  for (const group of expr.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g))
    for (const name of (group[1] ?? '').split(',')) if (name.trim()) labels.add(name.trim());
  for (const selector of expr.matchAll(/\{([^}]*)\}/g))
    for (const matcher of (selector[1] ?? '').matchAll(
      /([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g,
    ))
      if (matcher[1]) labels.add(matcher[1]);
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(?:by|without|on|ignoring)\s*\([^)]*\)/g, '')
    .replace(/\$__[a-z_]+/g, '');
  const metrics = new Set<string>();
  for (const token of bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = token;
    if (name === undefined || call !== undefined || PROMQL_WORDS.has(name)) continue;
    metrics.add(name);
  }
  return { metrics: [...metrics], labels: [...labels] };
}

interface Dashboard {
  readonly panels: readonly {
    readonly title: string;
    readonly targets?: readonly { readonly expr: string }[];
  }[];
}

let bundles: Bundles;
let dataDir: string;
const processes = new ProcessTracker();
const scraped: Exposition = new Map();
let scrapedText = '';

beforeAll(async () => {
  bundles = await buildBundles();
  dataDir = join(mkdtempSync(join(tmpdir(), 'tessera-metrics-')), 'data');
  const [issuer, issuerMetrics, session, sessionMetrics, gateway, gatewayMetrics] =
    await Promise.all(Array.from({ length: 6 }, () => freePort()));
  const at = (port: number | undefined) => `127.0.0.1:${port}`;
  const cli = processes.start(
    bundles.cli,
    ['start', '--data-dir', dataDir, '--log-format', 'json'],
    {
      env: {
        ISSUER_ADDRESS: at(issuer),
        ISSUER_METRICS_ADDRESS: at(issuerMetrics),
        SESSION_ADDRESS: at(session),
        SESSION_METRICS_ADDRESS: at(sessionMetrics),
        GATEWAY_ADDRESS: at(gateway),
        GATEWAY_METRICS_ADDRESS: at(gatewayMetrics),
      },
    },
  );
  // Four processes start one after another; on a loaded two-core machine that takes a while.
  await cli.waitForLine((line) => line.startsWith('Ctrl-C stops the stack'), 'the summary', 90_000);
  const apiKey = /^\s*dev API key\s+(\S+)\s*$/m.exec(cli.stdout)?.[1] ?? '';
  const realm = loadRealmFile(join(dataDir, 'realm.yaml')).document;
  const tenantId = realm.tenants[0]?.id ?? '';
  const applicationId = realm.applications[0]?.id ?? '';

  // Traffic that touches every family: a session started over gRPC (issuer → session →
  // Redis), a refresh and two validations through the gateway (its gRPC clients and its local
  // validator, a miss then a hit), a vend, and the issuer's own Validate through the CLI.
  const client = new issuerV1.IssuerServiceClient(at(issuer), credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set('authorization', apiKey);
  const started = await unaryCall(
    client.startSession.bind(client),
    {
      tenantId,
      applicationId,
      userId: '00000000-0000-4000-8000-00000000e2e0',
      authenticationType: 'PASSWORD',
      presenter: undefined,
      device: undefined,
      scopes: [],
      dataJson: '',
      requestId: '',
    },
    { deadlineMs: 10_000, metadata },
  );
  client.close();
  const api = `http://${at(gateway)}`;
  const refreshed = await fetch(`${api}/api/jwt/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refreshToken: started.refreshToken }),
  });
  expect(refreshed.status).toBe(200);
  const { token } = (await refreshed.json()) as { token: string };
  for (let i = 0; i < 2; i++) {
    const validated = await fetch(`${api}/api/jwt/validate`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(validated.status).toBe(200);
    await validated.text();
  }
  const vended = await fetch(`${api}/api/jwt/vend`, {
    method: 'POST',
    headers: { authorization: apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ claims: { sub: 'metrics' } }),
  });
  expect(vended.status).toBe(200);
  await vended.text();
  const checked = await runNode(bundles.cli, [
    'validate',
    '--address',
    at(issuer),
    '--api-key',
    apiKey,
    token,
  ]);
  expect(checked.code).toBe(0);

  for (const port of [issuerMetrics, sessionMetrics, gatewayMetrics]) {
    const response = await fetch(`http://${at(port)}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    scrapedText += text;
    parseExposition(text, scraped);
  }
  // The public port serves no metrics.
  const hidden = await fetch(`${api}/metrics`);
  expect(hidden.status).toBe(404);
  await hidden.text();
}, 120_000);

afterAll(async () => {
  await processes.killAll();
  if (dataDir !== undefined) rmSync(join(dataDir, '..'), { recursive: true, force: true });
  bundles?.remove();
});

const GRPC_LABELS = ['grpc_type', 'grpc_service', 'grpc_method'];

describe('metric names on a live stack', { timeout: 60_000 }, () => {
  it('gRPC servers and clients follow the go-grpc-prometheus names and labels', () => {
    for (const side of ['server', 'client']) {
      for (const name of [
        `grpc_${side}_started_total`,
        `grpc_${side}_handling_seconds_bucket`,
        `grpc_${side}_handling_seconds_count`,
        `grpc_${side}_handled_total`,
      ]) {
        expect([...(scraped.get(name) ?? [])], name).toEqual(expect.arrayContaining(GRPC_LABELS));
      }
      expect([...(scraped.get(`grpc_${side}_handled_total`) ?? [])]).toContain('grpc_code');
    }
  });

  it('codes are names, types are the conventional ones', () => {
    expect(scrapedText).toMatch(
      /grpc_server_handled_total\{grpc_type="unary",grpc_service="tessera\.issuer\.v1\.IssuerService",grpc_method="StartSession",grpc_code="OK"\} 1/,
    );
    // The gateway's refresh went through the issuer as a client call.
    expect(scrapedText).toMatch(
      /grpc_client_handled_total\{grpc_type="unary",grpc_service="tessera\.issuer\.v1\.IssuerService",grpc_method="Refresh",grpc_code="OK"\} 1/,
    );
    // The key and revocation followers are server-streams.
    expect(scrapedText).toMatch(
      /grpc_client_started_total\{grpc_type="server_stream"[^}]*grpc_method="WatchKeys"\}/,
    );
    expect(scrapedText).not.toMatch(/grpc_code="\d+"/);
    for (const type of scrapedText.matchAll(/grpc_type="([^"]*)"/g))
      expect(['unary', 'server_stream', 'client_stream', 'bidi_stream']).toContain(type[1]);
  });

  it('local validation and Redis latency are exposed', () => {
    for (const name of [
      'tessera_local_validation_cache_hits_total',
      'tessera_local_validation_cache_misses_total',
      'tessera_local_validation_cache_entries',
      'tessera_local_validation_key_set_revision',
      'tessera_local_validation_revocation_lag_seconds',
    ])
      expect(scraped.has(name), name).toBe(true);
    expect([...(scraped.get('tessera_redis_command_seconds_bucket') ?? [])]).toEqual(
      expect.arrayContaining(['command', 'outcome', 'le']),
    );
  });

  it('every metric and label the Grafana dashboard queries exists', () => {
    const dashboard = JSON.parse(
      readFileSync(join(REPO_ROOT, 'deploy/grafana/tessera-dashboard.json'), 'utf8'),
    ) as Dashboard;
    const queried = dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })),
    );
    expect(queried.length).toBeGreaterThan(10);
    for (const { panel, expr } of queried) {
      const { metrics, labels } = referencesOf(expr);
      expect(metrics.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const metric of metrics)
        expect(scraped.has(metric), `${panel}: ${metric} is exposed`).toBe(true);
      const available = new Set(metrics.flatMap((metric) => [...(scraped.get(metric) ?? [])]));
      for (const label of labels) {
        if (TARGET_LABELS.has(label) && label !== 'le') continue;
        expect(available.has(label), `${panel}: label ${label} on ${metrics.join(', ')}`).toBe(
          true,
        );
      }
    }
  });
});

describe('referencesOf', () => {
  it('finds metrics and labels, not functions, keywords or variables', () => {
    expect(
      referencesOf(
        'histogram_quantile(0.99, sum by (le, grpc_method) (rate(grpc_server_handling_seconds_bucket{grpc_type="unary"}[$__rate_interval]))) / on (job) x_total',
      ),
    ).toEqual({
      metrics: ['grpc_server_handling_seconds_bucket', 'x_total'],
      labels: ['le', 'grpc_method', 'job', 'grpc_type'],
    });
  });
});
