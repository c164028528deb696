import { readFileSync } from 'node:fs';
import type { ScriptDefinition } from './lua-scripts.js';

/**
 * The directory's Lua scripts, read once from the `.lua` files beside this module (the only
 * module that touches them, so a bundling step can inline the texts). Register them on the
 * shared client with the other stores' scripts:
 * `createRedisClient(url, { scripts: { ...REFRESH_TOKEN_SCRIPTS, ...DIRECTORY_SCRIPTS } })`.
 */

const read = (url: URL): string => readFileSync(url, 'utf8');

/** The scripts by command name (prefixed: the names become methods of the ioredis client). */
export const DIRECTORY_SCRIPTS = Object.freeze({
  directoryUpsertUser: {
    numberOfKeys: 5,
    lua: read(new URL('./lua/directory-upsert-user.lua', import.meta.url)),
  },
  directoryReadUser: {
    numberOfKeys: 2,
    lua: read(new URL('./lua/directory-read-user.lua', import.meta.url)),
  },
  directoryUpsertRegistration: {
    numberOfKeys: 2,
    lua: read(new URL('./lua/directory-upsert-registration.lua', import.meta.url)),
  },
}) satisfies Readonly<Record<string, ScriptDefinition>>;

/** The name of one of the directory's scripts. */
export type DirectoryScriptName = keyof typeof DIRECTORY_SCRIPTS;
