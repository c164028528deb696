import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RealmSource } from '../src/index.js';

// A mounted ConfigMap or Secret as the kubelet lays it out: the files live in a timestamped
// folder, `..data` is a symlink to that folder, and each visible file is a symlink into
// `..data/`. An update writes a new timestamped folder, points a temporary symlink at it and
// renames that over `..data` (one atomic step), then removes the old folder. The file's own
// path never changes and nothing writes to it, so only a watcher that follows the link sees it.

const TENANT = '6b1c1c77-9a6e-4a62-9b7a-4f3c2a1d0e01';

function realmYaml(name: string): string {
  return `keys:\n  file: keys.jwks.json\ntenants:\n  - id: ${TENANT}\n    name: ${name}\n    issuer: https://issuer.example\n`;
}

/** A kubelet-style volume holding `files`; `update` swaps in new contents the kubelet's way. */
class KubeletVolume {
  readonly dir = mkdtempSync(join(tmpdir(), 'tessera-kubelet-volume-'));
  #generation = 0;
  #current: string | undefined;

  constructor(files: Record<string, string>) {
    this.update(files);
    for (const name of Object.keys(files)) symlinkSync(join('..data', name), join(this.dir, name));
  }

  update(files: Record<string, string>): void {
    this.#generation += 1;
    const folder = `..2026_01_01_00_00_00.${String(this.#generation).padStart(9, '0')}`;
    mkdirSync(join(this.dir, folder));
    for (const [name, text] of Object.entries(files))
      writeFileSync(join(this.dir, folder, name), text);
    symlinkSync(folder, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    if (this.#current !== undefined) rmSync(join(this.dir, this.#current), { recursive: true });
    this.#current = folder;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const silent = { info: () => undefined, error: () => undefined };
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('a realm mounted from a ConfigMap', () => {
  it("reloads when the kubelet swaps the volume's ..data symlink", async () => {
    const keys = JSON.stringify({ keys: [] });
    const volume = new KubeletVolume({ 'realm.yaml': realmYaml('first'), 'keys.jwks.json': keys });
    cleanups.push(() => volume.remove());
    const source = new RealmSource(join(volume.dir, 'realm.yaml'), silent);
    const nameOf = () => source.current.tenants.get(TENANT)?.name;
    expect(nameOf()).toBe('first');
    const stop = source.watch({ intervalMs: 20 });
    cleanups.push(stop);

    // The watcher takes its first reading asynchronously; an update before that reading would
    // be its baseline. Keep updating, as the kubelet would on each edit, until one is seen.
    let last = 'first';
    for (let update = 1; update <= 100 && nameOf() === 'first'; update++) {
      last = `update-${update}`;
      volume.update({ 'realm.yaml': realmYaml(last), 'keys.jwks.json': keys });
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    expect(nameOf()).not.toBe('first');
    // And it settles on the last contents.
    for (let i = 0; i < 100 && nameOf() !== last; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(nameOf()).toBe(last);
  });
});
