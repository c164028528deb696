import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRealm } from '@tessera/config';
import { readTracingSettings } from '@tessera/tracing';
import { beforeAll, describe, expect, it } from 'vitest';
import { deployedSidecarRuntime, RUNTIME_ENV, sidecarRuntimeOf } from '../bench/sidecar-runtime.js';
import { REPO_ROOT } from './image-tree.js';
import { ALSO_REQUIRED, envSchemaOf, type K8sObject, kustomize } from './manifests.js';

// The Kubernetes manifests as CI checks them: every overlay renders with kustomize, every
// object validates against the Kubernetes API schema, and the rules below hold for every
// workload: probes, resources, a locked-down securityContext, a PodDisruptionBudget, a
// default-deny NetworkPolicy, and environment variables the code actually reads.

const OVERLAYS = ['overlays/dev', 'overlays/production', 'overlays/production-tracing'] as const;
const rendered = new Map<string, K8sObject[]>();

beforeAll(async () => {
  for (const overlay of OVERLAYS) rendered.set(overlay, await kustomize(overlay));
}, 60_000);

interface Container {
  readonly name: string;
  readonly image?: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly restartPolicy?: string;
  readonly env?: readonly {
    readonly name: string;
    readonly value?: string;
    readonly valueFrom?: unknown;
  }[];
  readonly startupProbe?: Record<string, unknown>;
  readonly readinessProbe?: Record<string, unknown>;
  readonly livenessProbe?: Record<string, unknown>;
  readonly resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  readonly securityContext?: Record<string, unknown>;
  readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[];
}

interface PodSpec {
  readonly containers: readonly Container[];
  readonly initContainers?: readonly Container[];
  readonly securityContext?: Record<string, unknown>;
  readonly automountServiceAccountToken?: boolean;
}

interface Workload {
  readonly object: K8sObject;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly pod: PodSpec;
}

function workloads(objects: readonly K8sObject[]): Workload[] {
  return objects
    .filter((object) => object.kind === 'Deployment' || object.kind === 'StatefulSet')
    .map((object) => {
      const template = object.spec?.template as
        | {
            metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
            spec: PodSpec;
          }
        | undefined;
      if (template === undefined) throw new Error(`${object.metadata.name} has no pod template`);
      return {
        object,
        labels: template.metadata.labels,
        annotations: template.metadata.annotations ?? {},
        pod: template.spec,
      };
    });
}

/** The metrics ports of the services, as their config.ts defaults and the dashboards know them. */
const METRICS = {
  issuer: { port: 9464, variable: 'ISSUER_METRICS_ADDRESS' },
  session: { port: 9465, variable: 'SESSION_METRICS_ADDRESS' },
  gateway: { port: 9466, variable: 'GATEWAY_METRICS_ADDRESS' },
} as const;

interface PolicyPeer {
  readonly podSelector?: { readonly matchLabels?: Record<string, string> };
  readonly namespaceSelector?: unknown;
}
interface IngressRule {
  readonly from?: readonly PolicyPeer[];
  readonly ports?: readonly { readonly port?: number }[];
}

/** Every container that runs for the pod's life: the regular ones and native sidecars. */
function longRunning(pod: PodSpec): Container[] {
  return [
    ...pod.containers,
    ...(pod.initContainers ?? []).filter((container) => container.restartPolicy === 'Always'),
  ];
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** The matchLabels of a selector field of `spec` (podSelector, selector); {} when absent. */
function matchLabels(object: K8sObject, field: string): Record<string, string> {
  const selector = object.spec?.[field] as { matchLabels?: Record<string, string> } | undefined;
  return selector?.matchLabels ?? {};
}

/** The tessera component a container runs (`tessera <component>`), if it runs the image. */
function componentOf(container: Container): string | undefined {
  return container.image?.includes('tessera') ? container.args?.[0] : undefined;
}

// The sidecar's settings, for a tree that does not hold services/sidecar yet; once it does,
// its config.ts is read like every other service's.
const SIDECAR_ENV = {
  names: new Set([
    'TESSERA_CONFIG',
    'ISSUER_ADDRESS',
    'SESSION_ADDRESS',
    'SIDECAR_API_KEY',
    'SIDECAR_GRPC_ADDRESS',
    'SIDECAR_HTTP_ADDRESS',
    'SIDECAR_MAX_REVOCATION_STALENESS_SECONDS',
    'SIDECAR_STALE_MODE',
    'SIDECAR_CACHE_MAX_ENTRIES',
    'SIDECAR_POLICY_FILE',
    'SIDECAR_CLAIM_HEADERS',
    'SIDECAR_STRIP_AUTHORIZATION',
    'LOG_LEVEL',
    'SHUTDOWN_GRACE_MS',
    'CONFIG_POLL_MS',
  ]),
  required: new Set(['TESSERA_CONFIG', 'SIDECAR_API_KEY']),
};

describe.each(OVERLAYS)('kubernetes %s', (overlay) => {
  const objects = () => rendered.get(overlay) ?? [];

  it('renders the issuer, session and gateway Deployments with their Services', () => {
    const names = objects().map((object) => `${object.kind}/${object.metadata.name}`);
    for (const component of ['issuer', 'session', 'gateway']) {
      expect(names).toContain(`Deployment/tessera-${component}`);
      expect(names).toContain(`Service/tessera-${component}`);
      expect(names).toContain(`HorizontalPodAutoscaler/tessera-${component}`);
    }
    expect(names).toContain('ConfigMap/tessera-realm');
    // Secrets are created beside the manifests, never written in them.
    expect(names.filter((name) => name.startsWith('Secret/'))).toEqual([]);
  });

  it('every object validates against the Kubernetes API schema (kubernetes-models, pinned)', async () => {
    for (const object of objects()) {
      const [group, version] = object.apiVersion.includes('/')
        ? object.apiVersion.split('/')
        : [undefined, object.apiVersion];
      const path =
        group === undefined ? `${version}/${object.kind}` : `${group}/${version}/${object.kind}`;
      const module = (await import(/* @vite-ignore */ `kubernetes-models/${path}`)) as Record<
        string,
        new (
          data: unknown,
        ) => { validate(): void }
      >;
      const Model = module[object.kind];
      if (Model === undefined) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
      expect(
        () => new Model(object).validate(),
        `${object.kind}/${object.metadata.name}`,
      ).not.toThrow();
    }
  });

  it('every long-running container has startup, readiness and liveness probes and resources', () => {
    for (const { object, pod } of workloads(objects())) {
      for (const container of longRunning(pod)) {
        const where = `${object.metadata.name}/${container.name}`;
        expect(container.startupProbe, `${where} startupProbe`).toBeDefined();
        expect(container.readinessProbe, `${where} readinessProbe`).toBeDefined();
        expect(container.livenessProbe, `${where} livenessProbe`).toBeDefined();
        for (const resource of ['cpu', 'memory']) {
          expect(
            container.resources?.requests?.[resource],
            `${where} requests.${resource}`,
          ).toBeDefined();
          expect(
            container.resources?.limits?.[resource],
            `${where} limits.${resource}`,
          ).toBeDefined();
        }
      }
    }
  });

  it('the gRPC services are probed with Kubernetes native gRPC probes', () => {
    for (const { pod } of workloads(objects())) {
      for (const container of longRunning(pod)) {
        const component = componentOf(container);
        if (component !== 'issuer' && component !== 'session' && component !== 'sidecar') continue;
        expect(container.startupProbe?.grpc, `${component} startupProbe`).toBeDefined();
        if (component !== 'sidecar')
          expect(container.readinessProbe?.grpc, `${component} readinessProbe`).toBeDefined();
      }
    }
  });

  it('every container runs non-root, read-only, without privilege escalation or capabilities', () => {
    for (const { object, pod } of workloads(objects())) {
      expect(pod.securityContext?.runAsNonRoot, object.metadata.name).toBe(true);
      expect(pod.securityContext?.seccompProfile, object.metadata.name).toEqual({
        type: 'RuntimeDefault',
      });
      expect(pod.automountServiceAccountToken, object.metadata.name).toBe(false);
      for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
        const where = `${object.metadata.name}/${container.name}`;
        expect(container.securityContext, where).toMatchObject({
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(container.image, `${where} image is pinned`).toMatch(/:[^:/]+$/);
        expect(container.image, `${where} image is pinned`).not.toMatch(/:latest$/);
      }
    }
  });

  it('every Deployment has a PodDisruptionBudget selecting its pods', () => {
    const budgets = objects().filter((object) => object.kind === 'PodDisruptionBudget');
    for (const { object, labels } of workloads(objects())) {
      if (object.kind !== 'Deployment') continue;
      const covering = budgets.filter((budget) => matches(matchLabels(budget, 'selector'), labels));
      expect(covering.length, `PodDisruptionBudget for ${object.metadata.name}`).toBe(1);
    }
  });

  it('denies all traffic by default, and every workload is selected by an allowing policy', () => {
    const policies = objects().filter((object) => object.kind === 'NetworkPolicy');
    const denyAll = policies.find(
      (policy) =>
        Object.keys(policy.spec?.podSelector ?? {}).length === 0 &&
        policy.spec?.ingress === undefined &&
        policy.spec?.egress === undefined &&
        JSON.stringify(policy.spec?.policyTypes) === JSON.stringify(['Ingress', 'Egress']),
    );
    expect(denyAll, 'a default-deny NetworkPolicy').toBeDefined();
    for (const { object, labels } of workloads(objects())) {
      const allowing = policies.filter(
        (policy) =>
          policy !== denyAll &&
          policy.spec?.ingress !== undefined &&
          matches(matchLabels(policy, 'podSelector'), labels),
      );
      expect(allowing.length, `an ingress policy for ${object.metadata.name}`).toBeGreaterThan(0);
    }
  });

  it('serves metrics on a management port that Prometheus finds and only Prometheus reaches', () => {
    const policies = objects().filter((object) => object.kind === 'NetworkPolicy');
    for (const [component, { port, variable }] of Object.entries(METRICS)) {
      const workload = workloads(objects()).find(
        (w) => w.object.metadata.name === `tessera-${component}`,
      );
      const container = workload?.pod.containers.find((c) => componentOf(c) === component);
      const where = `tessera-${component}`;
      expect(container?.ports, `${where} names its metrics port`).toContainEqual({
        name: 'metrics',
        containerPort: port,
      });
      expect(container?.env, `${where} listens for metrics there`).toContainEqual({
        name: variable,
        value: `0.0.0.0:${port}`,
      });
      expect(workload?.annotations, `${where} Prometheus annotations`).toEqual(
        expect.objectContaining({
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': String(port),
          'prometheus.io/path': '/metrics',
        }),
      );
      // Every ingress rule of its policies that opens the metrics port admits scrapers only.
      const rules = policies
        .filter((policy) => matches(matchLabels(policy, 'podSelector'), workload?.labels ?? {}))
        .flatMap((policy) => (policy.spec?.ingress ?? []) as IngressRule[]);
      const opening = rules.filter(
        (rule) => rule.ports === undefined || rule.ports.some((p) => p.port === port),
      );
      expect(opening.length, `${where} metrics port admitted`).toBeGreaterThan(0);
      for (const rule of opening) {
        expect(rule.from, `${where}: the metrics port is open to scrapers only`).toBeDefined();
        for (const peer of rule.from ?? [])
          expect(peer.podSelector?.matchLabels).toEqual({ 'tessera.io/metrics-scraper': 'true' });
      }
    }
    // The gateway's Service fronts the public API: it carries no metrics port.
    const gatewayService = objects().find(
      (object) => object.kind === 'Service' && object.metadata.name === 'tessera-gateway',
    );
    const servicePorts = (gatewayService?.spec?.ports ?? []) as { port: number }[];
    expect(servicePorts.map((p) => p.port)).toEqual([8080]);
  });

  it('sets only environment variables the code reads, and every required one', () => {
    for (const { object, pod } of workloads(objects())) {
      for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
        const component = componentOf(container);
        if (component === undefined) continue;
        const schema =
          envSchemaOf(component) ?? (component === 'sidecar' ? SIDECAR_ENV : undefined);
        if (schema === undefined) throw new Error(`no config.ts for ${component}`);
        const set = (container.env ?? []).map((variable) => variable.name);
        const where = `${object.metadata.name}/${container.name}`;
        // The sidecar's runtime settings are read by libuv and glibc, not by its config.ts.
        const runtime: readonly string[] = component === 'sidecar' ? RUNTIME_ENV : [];
        for (const name of set)
          expect(
            schema.names.has(name) || runtime.includes(name),
            `${where} sets ${name}, which nothing reads`,
          ).toBe(true);
        for (const name of [...schema.required, ...(ALSO_REQUIRED[component] ?? [])])
          expect(set, `${where} must set ${name}`).toContain(name);
        // Secrets come from Secrets.
        for (const variable of container.env ?? []) {
          if (
            /KEY|PEPPER|REDIS_URL/.test(variable.name) &&
            overlay.startsWith('overlays/production')
          )
            expect(variable.valueFrom, `${where} ${variable.name} from a Secret`).toBeDefined();
          if (/KEY|PEPPER/.test(variable.name))
            expect(variable.valueFrom, `${where} ${variable.name} from a Secret`).toBeDefined();
        }
      }
    }
  });
});

describe('kubernetes schema check', () => {
  it('refuses an object that breaks the schema, so a pass means something', async () => {
    const { Deployment } = await import('kubernetes-models/apps/v1/Deployment');
    const broken = new Deployment({
      metadata: { name: 'broken' },
      spec: {
        selector: {},
        template: { spec: { containers: [{ name: 'a', ports: [{ containerPort: 'http' }] }] } },
      },
    } as unknown as ConstructorParameters<typeof Deployment>[0]);
    expect(() => broken.validate()).toThrow(/containerPort must be integer/);
  });
});

describe('kubernetes overlays', () => {
  it('the example realm of the base is a valid production realm', () => {
    const file = join(REPO_ROOT, 'deploy/kubernetes/base/realm.yaml');
    const realm = parseRealm(readFileSync(file, 'utf8'), file);
    expect(realm.document.mode).toBe('production');
    // Where the Deployments mount the key Secret.
    expect(realm.keysFile).toBe('/etc/tessera/keys/keys.jwks.json');
  });

  it('dev runs Redis in the cluster with an append-only file and noeviction', () => {
    const redis = workloads(rendered.get('overlays/dev') ?? []).find(
      (workload) => workload.object.kind === 'StatefulSet',
    );
    const args = redis?.pod.containers[0]?.args ?? [];
    expect(args.join(' ')).toContain('--appendonly yes');
    expect(args.join(' ')).toContain('--maxmemory-policy noeviction');
  });

  it('production takes the Redis URL from a Secret and runs no Redis of its own', () => {
    const objects = rendered.get('overlays/production') ?? [];
    expect(objects.filter((object) => object.kind === 'StatefulSet')).toEqual([]);
    const session = workloads(objects).find((w) => w.object.metadata.name === 'tessera-session');
    const redisUrl = session?.pod.containers[0]?.env?.find((v) => v.name === 'REDIS_URL');
    expect(redisUrl?.valueFrom).toEqual({ secretKeyRef: { name: 'tessera-redis', key: 'url' } });
  });

  it('the tracing component exports the spans of every service to the collector it may reach', () => {
    const objects = rendered.get('overlays/production-tracing') ?? [];
    const services = ['tessera-issuer', 'tessera-session', 'tessera-gateway'];
    for (const name of services) {
      const workload = workloads(objects).find((w) => w.object.metadata.name === name);
      const env = Object.fromEntries(
        (workload?.pod.containers[0]?.env ?? []).map((v) => [v.name, v.value]),
      );
      // Parsed as the service parses it: a typo in the component fails here, not at start.
      const settings = readTracingSettings(env, name);
      expect(settings.enabled, name).toBe(true);
      expect(settings.exporters, name).toEqual(['otlp']);
      expect(settings.serviceName, name).toBe(name);
      expect(settings.otlp.url, name).toBe(
        'http://otel-collector.observability.svc:4318/v1/traces',
      );
    }
    // Under the default deny, only the collector's OTLP ports are opened, and only for them.
    const egress = objects.find((o) => o.metadata.name === 'tessera-otel-collector-egress');
    const spec = egress?.spec as
      | {
          podSelector: { matchExpressions: { values: string[] }[] };
          egress: { ports: { port: number }[] }[];
        }
      | undefined;
    expect(spec?.podSelector.matchExpressions[0]?.values.sort()).toEqual([...services].sort());
    expect(spec?.egress.flatMap((rule) => rule.ports.map((p) => p.port))).toEqual([4317, 4318]);
    // Without the component, nothing is traced.
    for (const w of workloads(rendered.get('overlays/production') ?? []))
      for (const c of w.pod.containers)
        expect((c.env ?? []).filter((v) => v.name.startsWith('OTEL_'))).toEqual([]);
  });

  it('every example runs the sidecar with the node flags and runtime the bench measures', () => {
    const measured = deployedSidecarRuntime(REPO_ROOT);
    // The memory bound of the README's sidecar figures rests on a capped V8 heap.
    expect(measured.nodeFlags.some((flag) => flag.startsWith('--max-old-space-size='))).toBe(true);
    expect(measured.nodeFlags.some((flag) => flag.startsWith('--max-semi-space-size='))).toBe(true);
    const examples = workloads(rendered.get('overlays/dev') ?? []).filter((w) =>
      w.object.metadata.name.startsWith('example-app-'),
    );
    expect(examples.length).toBeGreaterThan(0);
    for (const { object, pod } of examples) {
      const sidecar = pod.initContainers?.find((c) => componentOf(c) === 'sidecar');
      if (sidecar === undefined) throw new Error(`${object.metadata.name} runs no sidecar`);
      expect(sidecarRuntimeOf(sidecar), object.metadata.name).toEqual(measured);
    }
  });

  it('the example applications run the validation sidecar as a native sidecar', () => {
    const examples = workloads(rendered.get('overlays/dev') ?? []).filter((w) =>
      w.object.metadata.name.startsWith('example-app-'),
    );
    expect(examples.map((w) => w.object.metadata.name).sort()).toEqual([
      'example-app-envoy',
      'example-app-nginx',
    ]);
    for (const { pod, labels } of examples) {
      const sidecar = pod.initContainers?.find((c) => componentOf(c) === 'sidecar');
      expect(sidecar?.restartPolicy).toBe('Always');
      // The label the issuer's and session service's NetworkPolicies admit.
      expect(labels['tessera.io/sidecar']).toBe('true');
    }
  });
});
