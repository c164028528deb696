import { loadRealmWithKeys, type Realm, watchFileChanges } from '@tessera/config';
import type { Keyring } from '@tessera/jwt-core';
import type { Logger } from '@tessera/logger';

/** The realm and keyring in force, swapped as a whole on reload. */
export interface IssuerSnapshot {
  readonly realm: Realm;
  readonly keyring: Keyring;
  /** Increases with every successful reload; the WatchKeys revision. */
  readonly revision: number;
}

/**
 * Holds the issuer's configuration and keys, and reloads both when their files change, so
 * keys rotate and API keys change without a restart. A reload that fails validation keeps
 * the previous snapshot (and says why in the log): a typo never takes signing down.
 */
export class IssuerState {
  #snapshot: IssuerSnapshot;
  readonly #realmFile: string;
  readonly #log: Logger;
  readonly #listeners = new Set<(snapshot: IssuerSnapshot) => void>();

  private constructor(realmFile: string, snapshot: IssuerSnapshot, log: Logger) {
    this.#realmFile = realmFile;
    this.#snapshot = snapshot;
    this.#log = log;
  }

  /** Loads the realm file and its key file; throws ConfigError naming the problem. */
  static async load(realmFile: string, log: Logger): Promise<IssuerState> {
    const { realm, keyring } = await loadRealmWithKeys(realmFile);
    return new IssuerState(realmFile, { realm, keyring, revision: 1 }, log);
  }

  /** The snapshot in force now. */
  get current(): IssuerSnapshot {
    return this.#snapshot;
  }

  /** Calls `listener` after every successful reload; returns the unsubscribe function. */
  subscribe(listener: (snapshot: IssuerSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Re-reads both files; keeps the current snapshot when they do not validate. */
  async reload(): Promise<boolean> {
    try {
      const { realm, keyring } = await loadRealmWithKeys(this.#realmFile);
      this.#snapshot = { realm, keyring, revision: this.#snapshot.revision + 1 };
    } catch (error) {
      this.#log.error(
        { err: error },
        'configuration reload refused; keeping the previous realm and keys',
      );
      return false;
    }
    this.#log.info(
      {
        revision: this.#snapshot.revision,
        keys: this.#snapshot.keyring.keys.map((k) => `${k.kid}:${k.state}`),
      },
      'realm and keys reloaded',
    );
    for (const listener of this.#listeners) listener(this.#snapshot);
    return true;
  }

  /**
   * Watches the realm file and the key file it names; a change of either reloads both.
   * Returns a function that stops watching.
   */
  watch(options: { intervalMs?: number } = {}): () => void {
    let stopKeys = () => {};
    let watchedKeysFile = '';
    let reloading: Promise<unknown> = Promise.resolve();
    const onChange = () => {
      reloading = reloading.then(async () => {
        await this.reload();
        followKeysFile();
      });
    };
    const followKeysFile = () => {
      const keysFile = this.#snapshot.realm.keysFile;
      if (keysFile === watchedKeysFile) return;
      stopKeys();
      watchedKeysFile = keysFile;
      stopKeys = watchFileChanges(keysFile, onChange, options);
    };
    const stopRealm = watchFileChanges(this.#realmFile, onChange, options);
    followKeysFile();
    return () => {
      stopRealm();
      stopKeys();
    };
  }
}
