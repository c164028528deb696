import { readFileSync } from 'node:fs';

/**
 * The refresh-token store's Lua scripts, read once from the `.lua` files beside this module.
 * This is the only module that touches those files, so a bundling step can replace it with
 * one that inlines the texts.
 */

/** One script as ioredis' `scripts` option takes it. */
export interface ScriptDefinition {
  readonly numberOfKeys: number;
  readonly lua: string;
}

const read = (url: URL): string => readFileSync(url, 'utf8');

/**
 * The scripts by command name. The names become methods of the ioredis client, so they are
 * prefixed to stay clear of Redis commands and of other stores' scripts on a shared client.
 */
export const REFRESH_TOKEN_SCRIPTS = Object.freeze({
  refreshTokenCreate: {
    numberOfKeys: 1,
    lua: read(new URL('./lua/create.lua', import.meta.url)),
  },
  refreshTokenRotate: {
    numberOfKeys: 3,
    lua: read(new URL('./lua/rotate.lua', import.meta.url)),
  },
  refreshTokenRevoke: {
    numberOfKeys: 2,
    lua: read(new URL('./lua/revoke.lua', import.meta.url)),
  },
  refreshTokenForkRegister: {
    numberOfKeys: 2,
    lua: read(new URL('./lua/fork-register.lua', import.meta.url)),
  },
  refreshTokenIndexAdd: {
    numberOfKeys: 1,
    lua: read(new URL('./lua/index-add.lua', import.meta.url)),
  },
  refreshTokenIndexHorizon: {
    numberOfKeys: 1,
    lua: read(new URL('./lua/index-horizon.lua', import.meta.url)),
  },
}) satisfies Readonly<Record<string, ScriptDefinition>>;

/** The name of one of the refresh-token scripts. */
export type RefreshTokenScriptName = keyof typeof REFRESH_TOKEN_SCRIPTS;
