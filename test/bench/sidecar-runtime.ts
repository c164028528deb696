/**
 * How the sidecar runs where it is deployed: the node flags and the runtime's own environment
 * variables (read by libuv and glibc, not by tessera's config) of the sidecar container in the
 * example manifests. The bench starts its sidecars with exactly these, read from the manifest,
 * so the memory and throughput it reports are those of the process as deployed; the manifest
 * test checks that every example runs the sidecar the same way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The example whose sidecar container the bench copies. */
export const SIDECAR_EXAMPLE_MANIFEST = 'deploy/kubernetes/examples/sidecar-envoy/deployment.yaml';
/** Environment variables of the sidecar container that configure the runtime, not tessera. */
export const RUNTIME_ENV = ['UV_THREADPOOL_SIZE', 'MALLOC_ARENA_MAX'] as const;

/** The sidecar's runtime as a manifest sets it. */
export interface SidecarRuntime {
  /** Flags between `node` and the entry point. */
  readonly nodeFlags: readonly string[];
  /** {@link RUNTIME_ENV} values it sets. */
  readonly env: Readonly<Record<string, string>>;
}

interface ContainerShape {
  readonly name?: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env?: readonly { readonly name: string; readonly value?: string }[];
}

/**
 * The sidecar container's runtime in a Deployment manifest: its `command` must be
 * `[node, …flags, /app/entrypoint.mjs]` with `args: [sidecar]`.
 */
export function sidecarRuntimeOf(container: ContainerShape): SidecarRuntime {
  const command = container.command ?? [];
  if (command[0] !== 'node' || command.at(-1) !== '/app/entrypoint.mjs') {
    throw new Error(
      `the sidecar container must run [node, …flags, /app/entrypoint.mjs], not ${JSON.stringify(command)}`,
    );
  }
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    if ((RUNTIME_ENV as readonly string[]).includes(variable.name) && variable.value !== undefined)
      env[variable.name] = variable.value;
  }
  return { nodeFlags: command.slice(1, -1), env };
}

/** The sidecar container of a manifest file (a native sidecar: an init container running `sidecar`). */
export function sidecarContainerIn(file: string): ContainerShape {
  for (const document of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const object = document.toJS() as {
      kind?: string;
      spec?: { template?: { spec?: { initContainers?: ContainerShape[] } } };
    };
    if (object.kind !== 'Deployment') continue;
    const sidecar = object.spec?.template?.spec?.initContainers?.find(
      (container) => container.args?.[0] === 'sidecar',
    );
    if (sidecar !== undefined) return sidecar;
  }
  throw new Error(`${file} runs no sidecar container`);
}

/** The runtime of the example manifest's sidecar, for the bench. */
export function deployedSidecarRuntime(root: string): SidecarRuntime {
  return sidecarRuntimeOf(sidecarContainerIn(join(root, SIDECAR_EXAMPLE_MANIFEST)));
}
