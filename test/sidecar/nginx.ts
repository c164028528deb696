import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '@tessera/testing';

/**
 * The nginx configuration of the README's "nginx" example: `auth_request` to the sidecar's
 * `/auth`, the original method and URI passed along, the identity headers copied to the
 * upstream (overwriting, and so removing, whatever the client sent under those names).
 */
export function nginxConfig(options: {
  readonly dir: string;
  readonly listenPort: number;
  readonly sidecarHttp: string;
  readonly upstream: string;
}): string {
  const { dir } = options;
  return `# Written by the sidecar's nginx test.
user root;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;

  server {
    listen 127.0.0.1:${options.listenPort};

    location = /_tessera_auth {
      internal;
      proxy_pass http://${options.sidecarHttp}/auth;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Original-URI $request_uri;
    }

    location / {
      auth_request /_tessera_auth;
      auth_request_set $tessera_subject $upstream_http_x_tessera_subject;
      auth_request_set $tessera_tenant $upstream_http_x_tessera_tenant;
      auth_request_set $tessera_application $upstream_http_x_tessera_application;
      auth_request_set $tessera_roles $upstream_http_x_tessera_roles;
      proxy_set_header X-Tessera-Subject $tessera_subject;
      proxy_set_header X-Tessera-Tenant $tessera_tenant;
      proxy_set_header X-Tessera-Application $tessera_application;
      proxy_set_header X-Tessera-Roles $tessera_roles;
      proxy_pass http://${options.upstream};
    }
  }
}
`;
}

/** A running nginx in a temporary prefix. */
export interface RunningNginx {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts `nginx -p <dir> -c <conf> -g 'daemon off;'` on a free loopback port. */
export async function startNginx(options: {
  readonly sidecarHttp: string;
  readonly upstream: string;
}): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-nginx-'));
  mkdirSync(join(dir, 'logs'));
  const listenPort = await findFreePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig({ dir, listenPort, ...options }));
  const child: ChildProcess = spawn('nginx', ['-p', dir, '-c', conf, '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${listenPort}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
    try {
      await fetch(`${url}/_probe`);
      break;
    } catch {
      if (i > 250) throw new Error(`nginx never listened: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) child.kill('SIGQUIT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
