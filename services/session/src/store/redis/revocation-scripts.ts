import { readFileSync } from 'node:fs';
import type { ScriptDefinition } from './lua-scripts.js';

/**
 * The revocation log's Lua scripts, read once from the `.lua` files beside this module (the
 * only module that touches them, so a bundling step can inline the texts). Register them on
 * the shared client with the other stores' scripts:
 * `createRedisClient(url, { scripts: { ...REFRESH_TOKEN_SCRIPTS, ...REVOCATION_LOG_SCRIPTS } })`.
 */

const read = (url: URL): string => readFileSync(url, 'utf8');

/** The scripts by command name (prefixed: the names become methods of the ioredis client). */
export const REVOCATION_LOG_SCRIPTS = Object.freeze({
  revocationLogAppend: {
    numberOfKeys: 7,
    lua: read(new URL('./lua/revocation-append.lua', import.meta.url)),
  },
  revocationLogRead: {
    numberOfKeys: 3,
    lua: read(new URL('./lua/revocation-read.lua', import.meta.url)),
  },
}) satisfies Readonly<Record<string, ScriptDefinition>>;

/** The name of one of the revocation log's scripts. */
export type RevocationLogScriptName = keyof typeof REVOCATION_LOG_SCRIPTS;
