import { type Stats, unwatchFile, watchFile } from 'node:fs';

/**
 * Calls `onChange` whenever the file's modification time, size or inode changes. Stat
 * polling rather than inotify because Kubernetes updates mounted ConfigMaps and Secrets by
 * swapping a symlink, which inotify watchers on the old target never see.
 * Returns a function that stops watching.
 */
export function watchFileChanges(
  path: string,
  onChange: () => void,
  options: { intervalMs?: number } = {},
): () => void {
  const listener = (current: Stats, previous: Stats) => {
    if (
      current.mtimeMs !== previous.mtimeMs ||
      current.size !== previous.size ||
      current.ino !== previous.ino
    ) {
      onChange();
    }
  };
  watchFile(path, { interval: options.intervalMs ?? 1000, persistent: false }, listener);
  return () => unwatchFile(path, listener);
}
