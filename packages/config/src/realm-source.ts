import { watchFileChanges } from './file-watch.js';
import { loadRealmFile, type Realm } from './realm.js';

/** Where problems with a reloaded realm are reported. */
export interface ReloadLog {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * The realm in force, reloaded when its file changes. A changed file that does not validate
 * is refused and logged; the previous realm stays in force, so a typo never takes a running
 * service down.
 */
export class RealmSource {
  #realm: Realm;
  readonly #file: string;
  readonly #log: ReloadLog;

  /** Loads the file once; throws ConfigError when it does not validate. */
  constructor(file: string, log: ReloadLog) {
    this.#file = file;
    this.#log = log;
    this.#realm = loadRealmFile(file);
  }

  /** The realm in force now. */
  get current(): Realm {
    return this.#realm;
  }

  /** Re-reads the file; false (and the old realm kept) when it does not validate. */
  reload(): boolean {
    try {
      this.#realm = loadRealmFile(this.#file);
    } catch (error) {
      this.#log.error({ err: error }, 'realm reload refused; keeping the previous realm');
      return false;
    }
    this.#log.info({ realm: this.#file }, 'realm reloaded');
    return true;
  }

  /** Reloads on every change of the file; returns the function that stops watching. */
  watch(options: { intervalMs?: number } = {}): () => void {
    return watchFileChanges(this.#file, () => this.reload(), options);
  }
}
