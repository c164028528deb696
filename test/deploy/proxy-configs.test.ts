import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from './image-tree.js';

// The proxies' configurations of the example applications point at the sidecar where it
// listens, and refuse requests when it cannot answer.

const run = promisify(execFile);
const EXAMPLES = join(REPO_ROOT, 'deploy/kubernetes/examples');

describe('the nginx example', () => {
  const file = join(EXAMPLES, 'sidecar-nginx/nginx.conf');

  it('is a configuration nginx accepts (nginx -t)', async () => {
    const { stderr } = await run('nginx', ['-t', '-c', file]);
    expect(stderr).toContain('test is successful');
  });

  it('asks the sidecar on 127.0.0.1:9192/auth with the original method and URI, without the body', () => {
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('server 127.0.0.1:9192;');
    expect(text).toContain('proxy_pass http://tessera_sidecar/auth;');
    expect(text).toContain('proxy_set_header X-Original-Method $request_method;');
    expect(text).toContain('proxy_set_header X-Original-URI $request_uri;');
    expect(text).toContain('proxy_pass_request_body off;');
  });
});

describe('the Envoy example', () => {
  const config = parse(readFileSync(join(EXAMPLES, 'sidecar-envoy/envoy.yaml'), 'utf8')) as {
    static_resources: {
      listeners: { filter_chains: { filters: { typed_config: unknown }[] }[] }[];
      clusters: {
        name: string;
        typed_extension_protocol_options?: unknown;
        load_assignment: unknown;
      }[];
    };
  };

  it('runs ext_authz over gRPC to the sidecar on 127.0.0.1:9191 (HTTP/2), failing closed', () => {
    const manager = config.static_resources.listeners[0]?.filter_chains[0]?.filters[0]
      ?.typed_config as { http_filters: { name: string; typed_config: Record<string, unknown> }[] };
    const filters = manager.http_filters.map((filter) => filter.name);
    // ext_authz before the router: every request is decided before it is routed.
    expect(filters).toEqual(['envoy.filters.http.ext_authz', 'envoy.filters.http.router']);
    const extAuthz = manager.http_filters[0]?.typed_config;
    expect(extAuthz).toMatchObject({
      transport_api_version: 'V3',
      grpc_service: { envoy_grpc: { cluster_name: 'tessera_sidecar' } },
      failure_mode_allow: false,
    });
    const cluster = config.static_resources.clusters.find((c) => c.name === 'tessera_sidecar');
    expect(JSON.stringify(cluster?.load_assignment)).toContain(
      '"socket_address":{"address":"127.0.0.1","port_value":9191}',
    );
    expect(JSON.stringify(cluster?.typed_extension_protocol_options)).toContain(
      'http2_protocol_options',
    );
  });
});
