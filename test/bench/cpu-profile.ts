/**
 * Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes) and aggregates its samples by
 * function and source location: self time (the function itself was on top of the stack) and
 * total time (it was anywhere on the stack, counted once per sample however deep it recurses).
 * Frames of an esbuild bundle are mapped back to their TypeScript source through the bundle's
 * linked source map, so `packages/grpc-runtime/src/call-scope.ts:38` is named, not
 * `dist/main.js:5123`.
 *
 * As a command: `node --conditions=tessera-source --import tsx test/bench/cpu-profile.ts <file.cpuprofile> [calls
 * [fromUs toUs]]` prints the tables, per call when the number of calls is given, counting only
 * the samples between the two monotonic instants when they are given (profile.ts prints all
 * four for each profile it takes).
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { formatMicros, formatRatio, renderTable } from './report.js';

const profileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({
        functionName: z.string(),
        url: z.string(),
        lineNumber: z.number(),
        columnNumber: z.number(),
      }),
      children: z.array(z.number()).optional(),
    }),
  ),
  startTime: z.number(),
  endTime: z.number(),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});

type ProfileNode = z.output<typeof profileSchema>['nodes'][number];

/** The cost of one function (name + source location) in the profile. */
export interface FunctionCost {
  readonly name: string;
  /** `path:line` of the function's start, in its original source where a map says so. */
  readonly location: string;
  /** The package or runtime part it belongs to: `@grpc/grpc-js`, `@tessera/logger`, `node:http2`, `(garbage collector)`… */
  readonly group: string;
  readonly selfUs: number;
  readonly totalUs: number;
}

/** The profile's samples inside a window, aggregated. */
export interface ProfileSummary {
  /** Time the samples in the window cover, in µs. */
  readonly sampledUs: number;
  /** The part of it the thread was not idle. */
  readonly busyUs: number;
  /** By self time, largest first. */
  readonly functions: readonly FunctionCost[];
  /** Self time by group, largest first. */
  readonly groups: readonly { readonly group: string; readonly selfUs: number }[];
}

/** Which samples to count: a span of the monotonic clock, in µs (`process.hrtime` / 1000). */
export interface ProfileWindow {
  readonly fromUs: number;
  readonly toUs: number;
}

/** V8's pseudo-frames: not functions, but what the thread did outside JavaScript. */
const IDLE = '(idle)';
const ROOT = '(root)';

/**
 * Aggregates the samples of `file`; only those inside `window` when given (the profile and
 * `process.hrtime` share the monotonic clock, so a window the bench timed applies as is).
 * `root` is what locations are shown relative to.
 */
export function summarizeCpuProfile(
  file: string,
  options: { readonly root: string; readonly window?: ProfileWindow },
): ProfileSummary {
  const profile = profileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  const locate = createLocator(options.root);
  const nodes = new Map<number, ProfileNode>();
  const parents = new Map<number, number>();
  for (const node of profile.nodes) {
    nodes.set(node.id, node);
    for (const child of node.children ?? []) parents.set(child, node.id);
  }

  interface Key {
    readonly id: string;
    readonly name: string;
    readonly location: string;
    readonly group: string;
  }
  const keyOfNode = new Map<number, Key>();
  const keyOf = (id: number): Key => {
    let key = keyOfNode.get(id);
    if (key === undefined) {
      const frame = nodes.get(id)?.callFrame;
      const name = frame === undefined ? '(unknown)' : frame.functionName || '(anonymous)';
      const place = frame === undefined ? { location: '', group: name } : locate(frame, name);
      key = { id: `${name}\u0000${place.location}`, name, ...place };
      keyOfNode.set(id, key);
    }
    return key;
  };
  // The distinct functions on each node's stack, computed once per node, not per sample.
  const stackOfNode = new Map<number, readonly Key[]>();
  const stackOf = (id: number): readonly Key[] => {
    let stack = stackOfNode.get(id);
    if (stack === undefined) {
      const seen = new Map<string, Key>();
      for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
        const key = keyOf(at);
        if (key.name !== ROOT) seen.set(key.id, key);
      }
      stack = [...seen.values()];
      stackOfNode.set(id, stack);
    }
    return stack;
  };

  const costs = new Map<string, { key: Key; selfUs: number; totalUs: number }>();
  const costOf = (key: Key) => {
    let cost = costs.get(key.id);
    if (cost === undefined) {
      cost = { key, selfUs: 0, totalUs: 0 };
      costs.set(key.id, cost);
    }
    return cost;
  };
  let sampledUs = 0;
  let idleUs = 0;
  let at = profile.startTime;
  const { samples, timeDeltas } = profile;
  for (let index = 0; index < samples.length; index++) {
    at += timeDeltas[index] ?? 0;
    // A sample stands for the time until the next one.
    const durationUs = Math.max(0, timeDeltas[index + 1] ?? 0);
    const id = samples[index];
    if (id === undefined) continue;
    if (options.window && (at < options.window.fromUs || at >= options.window.toUs)) continue;
    sampledUs += durationUs;
    const top = keyOf(id);
    if (top.name === IDLE) {
      idleUs += durationUs;
      continue;
    }
    costOf(top).selfUs += durationUs;
    for (const key of stackOf(id)) costOf(key).totalUs += durationUs;
  }

  const functions = [...costs.values()]
    .map(({ key, selfUs, totalUs }) => ({
      name: key.name,
      location: key.location,
      group: key.group,
      selfUs,
      totalUs,
    }))
    .sort((a, b) => b.selfUs - a.selfUs);
  const byGroup = new Map<string, number>();
  for (const cost of functions)
    byGroup.set(cost.group, (byGroup.get(cost.group) ?? 0) + cost.selfUs);
  const groups = [...byGroup.entries()]
    .map(([group, selfUs]) => ({ group, selfUs }))
    .sort((a, b) => b.selfUs - a.selfUs);
  return { sampledUs, busyUs: sampledUs - idleUs, functions, groups };
}

interface Place {
  readonly location: string;
  readonly group: string;
}

/** Names where a frame's code lives, through source maps where there are any. */
function createLocator(root: string): (frame: ProfileNode['callFrame'], name: string) => Place {
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (path: string): SourceMap | undefined => {
    if (!maps.has(path)) {
      const mapFile = `${path}.map`;
      maps.set(
        path,
        existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : undefined,
      );
    }
    return maps.get(path);
  };
  return (frame, name) => {
    const { url } = frame;
    if (url === '') {
      // V8 pseudo-frames keep their name as their group; other frames without a script are
      // builtins and native functions (JSON.stringify, Array.prototype.map, …).
      return { location: '', group: name.startsWith('(') ? name : '(V8 builtins, native)' };
    }
    if (url.startsWith('node:')) {
      const module = url.replace(/^node:(internal\/)?(deps\/)?/, '').split('/')[0] ?? url;
      return { location: `${url}:${frame.lineNumber + 1}`, group: `node:${module}` };
    }
    let path = url.startsWith('file://') ? fileURLToPath(url) : url;
    let line = frame.lineNumber + 1;
    const entry = mapOf(path)?.findEntry(frame.lineNumber, frame.columnNumber);
    if (entry !== undefined && 'originalSource' in entry) {
      const source = entry.originalSource;
      path = source.startsWith('file://') ? fileURLToPath(source) : resolve(dirname(path), source);
      line = entry.originalLine + 1;
    }
    const shown = relative(root, path);
    return { location: `${shortPath(shown)}:${line}`, group: groupOf(shown) };
  };
}

/** `node_modules/@grpc/grpc-js/build/src/x.js` → `@grpc/grpc-js/build/src/x.js`. */
function shortPath(path: string): string {
  const at = path.lastIndexOf('node_modules/');
  return at === -1 ? path : path.slice(at + 'node_modules/'.length);
}

function groupOf(path: string): string {
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (dependency?.[1] !== undefined) return dependency[1];
  const workspace = /^(packages|services)\/([^/]+)\//.exec(path);
  if (workspace?.[1] === 'packages') return `@tessera/${workspace[2]}`;
  if (workspace?.[1] === 'services') return `services/${workspace[2]}`;
  return path;
}

/** How a summary is printed. */
export interface PrintOptions {
  /** Calls the window covers: costs are shown per call when given. */
  readonly calls?: number;
  /** Rows of the function tables. */
  readonly top?: number;
}

/** Renders the summary as three tables: by group, by self time, by total time. */
export function renderSummary(summary: ProfileSummary, options: PrintOptions = {}): string {
  const top = options.top ?? 25;
  const calls = options.calls;
  const perCall = (us: number) => formatMicros(calls === undefined ? us : us / calls);
  const share = (us: number) => formatRatio(summary.busyUs > 0 ? us / summary.busyUs : undefined);
  const unit = calls === undefined ? 'µs' : 'µs/call';
  const lines: string[] = [
    `busy ${perCall(summary.busyUs)}${calls === undefined ? '' : ' per call'} of ` +
      `${formatMicros(summary.sampledUs)} sampled` +
      (calls === undefined ? '' : ` (${calls.toLocaleString('en-US')} calls)`),
    '',
    renderTable(
      [
        { header: 'group' },
        { header: `self ${unit}`, numeric: true },
        { header: 'share', numeric: true },
      ],
      summary.groups
        .slice(0, top)
        .map((group) => [group.group, perCall(group.selfUs), share(group.selfUs)]),
    ),
    '',
  ];
  const functionTable = (rows: readonly FunctionCost[]) =>
    renderTable(
      [
        { header: 'function' },
        { header: 'where' },
        { header: `self ${unit}`, numeric: true },
        { header: 'self share', numeric: true },
        { header: `total ${unit}`, numeric: true },
      ],
      rows.map((cost) => [
        cost.name,
        cost.location || cost.group,
        perCall(cost.selfUs),
        share(cost.selfUs),
        perCall(cost.totalUs),
      ]),
    );
  lines.push(`top ${top} by self time:`, '', functionTable(summary.functions.slice(0, top)), '');
  const byTotal = [...summary.functions]
    // V8's pseudo-frames ((program), (garbage collector)) have no callees: total = self.
    .filter((cost) => cost.group !== cost.name)
    .sort((a, b) => b.totalUs - a.totalUs);
  lines.push(
    `top ${top} by total time (on the stack at all):`,
    '',
    functionTable(byTotal.slice(0, top)),
  );
  return lines.join('\n');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [file, calls, fromUs, toUs] = process.argv.slice(2);
  if (file === undefined) {
    console.error(
      'usage: node --conditions=tessera-source --import tsx test/bench/cpu-profile.ts <file.cpuprofile> [calls [fromUs toUs]]',
    );
    process.exit(2);
  }
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const window =
    fromUs === undefined || toUs === undefined
      ? {}
      : { window: { fromUs: Number(fromUs), toUs: Number(toUs) } };
  console.log(
    renderSummary(summarizeCpuProfile(file, { root, ...window }), {
      ...(calls === undefined ? {} : { calls: Number(calls) }),
      top: 40,
    }),
  );
}
