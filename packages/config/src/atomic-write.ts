import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `data` to `file` so that a reader sees either the old content or the new, never a
 * part: the services re-read the key and realm files every second (`RealmSource#watch`), and a
 * half-written key file would be refused, or worse, read as fewer keys. The data goes to a
 * temporary file in the same directory (so the rename cannot cross file systems), is flushed
 * to disk, then renamed over `file`; the directory is flushed too, so the rename survives a
 * crash. On any failure the temporary file is removed and `file` is untouched.
 */
export function writeFileAtomically(
  file: string,
  data: string | Uint8Array,
  options: { readonly mode?: number } = {},
): void {
  const directory = dirname(file);
  const temporary = join(directory, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  // `wx`: never follow or reuse something already at the temporary path.
  const fd = openSync(temporary, 'wx', options.mode ?? 0o600);
  try {
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  syncDirectory(directory);
}

function syncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(directory, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse to fsync a directory; the rename has happened either way.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
