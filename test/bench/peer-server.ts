/**
 * Entry point of the peer's process: oidc-provider, the best-known single-process Node token
 * server, configured to do the same jobs as tessera's REST gateway so the bench can put the two
 * side by side (peer.ts). One process, one in-memory store, no Redis:
 *
 * - one confidential client (`client_secret_basic`);
 * - `client_credentials` with the resource indicator {@link RESOURCE}: an ES256-signed JWT
 *   access token (the counterpart of tessera's vend);
 * - `refresh_token` with rotation on: every refresh consumes the presented token, saves a
 *   successor in the same grant and signs an ES256 JWT access token for {@link RESOURCE}
 *   (the counterpart of tessera's refresh);
 * - `client_credentials` without a resource: an opaque token, which introspection
 *   (`POST /token/introspection`) looks up in the store (the counterpart of validation).
 *
 * Refresh tokens come from an authorization-code login in a real deployment; the bench has no
 * browser, so `POST /bench/refresh-tokens?count=N` (outside the provider's routes) mints N
 * grants with one refresh token each, the way the provider's own code flow would store them.
 * oidc-provider 9 declares no `engines`; at start it warns that Node 20 is not a supported
 * runtime (it asks for Node 22 LTS or later). It runs here on Node 20, which is what tessera
 * targets, and the bench passes that warning on; it is a devDependency used by nothing else.
 *
 * Prints `{"port":N}` once listening on 127.0.0.1; exits on SIGTERM, SIGINT or when its parent
 * closes stdin.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Adapter, type AdapterPayload, type Configuration } from 'oidc-provider';
import { CLIENT_ID, CLIENT_SECRET, MAX_SEED, RESOURCE, SCOPE, SEED_PATH } from './peer-contract.js';

const ISSUER = 'http://127.0.0.1/peer';
const ACCESS_TOKEN_TTL_SECONDS = 600;
const REFRESH_TOKEN_TTL_SECONDS = 86_400;

/**
 * The in-memory store: oidc-provider's adapter contract (as its example adapter documents it) over one
 * Map per model. Unlike the provider's development adapter (an LRU of 1,000 entries), it
 * keeps every token until it expires, so a pool of first-seen opaque tokens stays valid.
 */
class MemoryAdapter implements Adapter {
  private static readonly models = new Map<string, Map<string, Entry>>();
  private static readonly grants = new Map<string, Set<string>>();
  private readonly entries: Map<string, Entry>;

  constructor(private readonly name: string) {
    const existing = MemoryAdapter.models.get(name);
    this.entries = existing ?? new Map();
    if (existing === undefined) MemoryAdapter.models.set(name, this.entries);
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const expiresAt =
      expiresIn === undefined ? Number.POSITIVE_INFINITY : Date.now() + expiresIn * 1000;
    this.entries.set(id, { payload, expiresAt });
    if (payload.grantId !== undefined) {
      const members = MemoryAdapter.grants.get(payload.grantId) ?? new Set<string>();
      members.add(`${this.name}:${id}`);
      MemoryAdapter.grants.set(payload.grantId, members);
    }
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(id);
      return undefined;
    }
    return entry.payload;
  }

  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    for (const [id, entry] of this.entries) {
      if (entry.payload.uid === uid) return this.find(id);
    }
    return undefined;
  }

  async consume(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (entry !== undefined) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.entries.delete(id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const member of MemoryAdapter.grants.get(grantId) ?? []) {
      const separator = member.indexOf(':');
      MemoryAdapter.models.get(member.slice(0, separator))?.delete(member.slice(separator + 1));
    }
    MemoryAdapter.grants.delete(grantId);
  }
}

interface Entry {
  readonly payload: AdapterPayload;
  readonly expiresAt: number;
}

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }),
  kid: 'peer-es256',
  alg: 'ES256',
  use: 'sig',
};

const configuration: Configuration = {
  adapter: MemoryAdapter,
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      grant_types: ['client_credentials', 'refresh_token', 'authorization_code'],
      redirect_uris: ['http://127.0.0.1/callback'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: `${SCOPE} offline_access`,
      id_token_signed_response_alg: 'ES256',
    },
  ],
  // offline_access is what enables the refresh_token grant.
  scopes: [SCOPE, 'offline_access'],
  jwks: { keys: [signingKey] },
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: {
      enabled: true,
      // The client may introspect the tokens issued to itself, which is all the bench does.
      allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
    },
    resourceIndicators: {
      enabled: true,
      // No resource asked for: an opaque token (the one introspection looks up).
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => {
        if (resource !== RESOURCE) throw new Error(`unknown resource ${resource}`);
        return {
          scope: SCOPE,
          audience: RESOURCE,
          accessTokenTTL: ACCESS_TOKEN_TTL_SECONDS,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    },
  },
  rotateRefreshToken: true,
  ttl: {
    ClientCredentials: ACCESS_TOKEN_TTL_SECONDS,
    AccessToken: ACCESS_TOKEN_TTL_SECONDS,
    RefreshToken: REFRESH_TOKEN_TTL_SECONDS,
    Grant: REFRESH_TOKEN_TTL_SECONDS,
  },
};

const provider = new Provider(ISSUER, configuration);
const callback = provider.callback();

const server = createServer((request, response) => {
  if (request.method === 'POST' && request.url?.startsWith(SEED_PATH)) {
    seed(request, response).catch((error: unknown) => {
      response.statusCode = 500;
      response.end(error instanceof Error ? error.message : String(error));
    });
    return;
  }
  callback(request, response);
});

/** Mints `count` grants with one refresh token each and answers their values as JSON. */
async function seed(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const count = Number(new URL(request.url ?? '', 'http://peer').searchParams.get('count'));
  if (!Number.isInteger(count) || count < 1 || count > MAX_SEED) {
    response.statusCode = 400;
    response.end(`count must be an integer in [1, ${MAX_SEED}]`);
    return;
  }
  const client = await provider.Client.find(CLIENT_ID);
  if (client === undefined) throw new Error(`client ${CLIENT_ID} is not configured`);
  const tokens: string[] = [];
  for (let index = 0; index < count; index++) {
    const accountId = `bench-user-${index}`;
    const grant = new provider.Grant({ accountId, clientId: CLIENT_ID });
    grant.addResourceScope(RESOURCE, SCOPE);
    const grantId = await grant.save();
    const refreshToken = new provider.RefreshToken({
      accountId,
      client,
      grantId,
      gty: 'authorization_code',
      scope: SCOPE,
      resource: RESOURCE,
      authTime: Math.floor(Date.now() / 1000),
    });
    tokens.push(await refreshToken.save());
  }
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ refreshTokens: tokens }));
}

server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// An orphaned peer would hold its port forever if the bench were killed outright.
process.stdin.once('end', stop);
process.stdin.resume();
