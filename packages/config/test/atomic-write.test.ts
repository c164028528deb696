import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomically } from '../src/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-atomic-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

// A reader on another thread that reads the file as fast as it can until told to stop, and
// reports every content that is not one complete version (a JSON document with its marker).
const READER = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const torn = [];
let reads = 0;
let stop = false;
parentPort.on('message', () => { stop = true; });
(function loop() {
  for (let i = 0; i < 200; i++) {
    const text = readFileSync(workerData.file, 'utf8');
    reads++;
    try {
      const doc = JSON.parse(text);
      if (typeof doc.version !== 'number' || doc.padding.length !== workerData.padding) torn.push(text.slice(0, 80));
    } catch {
      torn.push(text.slice(0, 80));
    }
  }
  if (stop) parentPort.postMessage({ torn, reads });
  else setImmediate(loop);
})();
`;

describe('writeFileAtomically', () => {
  it('writes the content with the given mode', () => {
    const file = join(dir, 'keys.jwks.json');
    writeFileAtomically(file, '{"keys":[]}\n', { mode: 0o600 });
    expect(readFileSync(file, 'utf8')).toBe('{"keys":[]}\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('replaces the file by a rename: a reader never sees part of a version', async () => {
    const file = join(dir, 'keys.jwks.json');
    // Large enough that a plain write takes several system calls.
    const padding = 256 * 1024;
    const version = (n: number) => JSON.stringify({ version: n, padding: 'k'.repeat(padding) });
    writeFileAtomically(file, version(0));
    const reader = new Worker(READER, { eval: true, workerData: { file, padding } });
    const result = new Promise<{ torn: string[]; reads: number }>((resolve, reject) => {
      reader.once('message', resolve);
      reader.once('error', reject);
    });
    const inodes = new Set<number>();
    for (let n = 1; n <= 40; n++) {
      writeFileAtomically(file, version(n));
      inodes.add(statSync(file).ino);
      // Let the reader run between writes.
      await new Promise((resolve) => setImmediate(resolve));
    }
    reader.postMessage('stop');
    const { torn, reads } = await result;
    await reader.terminate();
    expect(reads).toBeGreaterThan(0);
    expect(torn).toEqual([]);
    // Every write is a new file renamed into place, not an overwrite of the old one.
    expect(inodes.size).toBeGreaterThan(1);
    expect(JSON.parse(readFileSync(file, 'utf8')).version).toBe(40);
  });

  it('leaves no temporary file behind', () => {
    const file = join(dir, 'realm.yaml');
    for (let n = 0; n < 5; n++) writeFileAtomically(file, `n: ${n}\n`);
    expect(readdirSync(dir)).toEqual(['realm.yaml']);
  });

  it('on failure keeps the old file and removes the temporary one', () => {
    const file = join(dir, 'target');
    // A directory where the file should be: the rename fails after the data was written.
    mkdirSync(file);
    writeFileSync(join(file, 'inside'), 'x');
    expect(() => writeFileAtomically(file, 'new')).toThrow();
    expect(readdirSync(dir)).toEqual(['target']);
    expect(readFileSync(join(file, 'inside'), 'utf8')).toBe('x');
  });

  it('fails without writing anything when the directory is not writable', () => {
    if (process.getuid?.() === 0) return; // root writes anywhere; the case cannot be made
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    writeFileSync(join(locked, 'keys.json'), 'old');
    chmodSync(locked, 0o500);
    try {
      expect(() => writeFileAtomically(join(locked, 'keys.json'), 'new')).toThrow();
      expect(readFileSync(join(locked, 'keys.json'), 'utf8')).toBe('old');
    } finally {
      chmodSync(locked, 0o700);
    }
  });
});
