import { envoyTypeV3, type sessionV1 } from '@tessera/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startSessionFor, startStack } from '../support/stack.js';
import {
  checkRequest,
  type Forwarder,
  type RunningSidecar,
  startForwarder,
  startSidecar,
  until,
} from './support.js';

let s: Stack;
let issuerLink: Forwarder;
let sessionLink: Forwarder;
const started: RunningSidecar[] = [];

function targetOf(client: { getChannel(): { getTarget(): string } }): string {
  return `127.0.0.1:${client.getChannel().getTarget().split(':').at(-1)}`;
}

beforeAll(async () => {
  s = await startStack();
  issuerLink = await startForwarder(targetOf(s.issuerClient));
  sessionLink = await startForwarder(targetOf(s.sessionClient));
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((sidecar) => sidecar.stop()));
  await issuerLink.resume().catch(() => {});
  await sessionLink.resume().catch(() => {});
});
afterAll(async () => {
  await issuerLink?.close();
  await sessionLink?.close();
  await s?.close();
});

async function sidecarWith(options: Partial<Parameters<typeof startSidecar>[1]> = {}) {
  const sidecar = await startSidecar(s, {
    issuerAddress: issuerLink.address,
    sessionAddress: sessionLink.address,
    ...options,
  });
  started.push(sidecar);
  return sidecar;
}

const startSession = (userId: string) => startSessionFor(s, userId);

const revoke = (refreshTokenId: string) =>
  s.call<sessionV1.RevokeRequest, sessionV1.RevokeResponse>(s.sessionClient, 'revoke', {
    tenantId: s.realm.tenantA,
    selector: { $case: 'id', value: refreshTokenId },
    ownerUserId: '',
  });

async function statusOf(sidecar: RunningSidecar, token: string): Promise<number | undefined> {
  const response = await sidecar.check(
    checkRequest('GET', '/', { authorization: `Bearer ${token}` }),
  );
  if (response.httpResponse?.$case === 'okResponse') return 200;
  if (response.httpResponse?.$case !== 'deniedResponse') return undefined;
  const code = response.httpResponse.value.status?.code;
  return code === undefined ? undefined : envoyTypeV3.statusCodeToNumber(code);
}

const readyz = async (sidecar: RunningSidecar) => (await fetch(`${sidecar.httpUrl}/readyz`)).status;

const metric = async (sidecar: RunningSidecar, name: string) => {
  const text = await (await fetch(`${sidecar.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
};

describe('sidecar: readiness and faults', () => {
  it('is not ready and refuses with 503 until keys and the first revocation snapshot are in', async () => {
    await sessionLink.cut();
    const sidecar = await sidecarWith();
    const { token } = await startSession('before-snapshot');
    await until(() => sidecar.app.validator.state().keyRevision !== undefined, 'keys loaded');
    expect(sidecar.app.validator.isReady()).toBe(false);
    expect(await readyz(sidecar)).toBe(503);
    expect(await sidecar.health()).toBe('NOT_SERVING');
    expect(await statusOf(sidecar, token)).toBe(503);

    await sessionLink.resume();
    await until(async () => (await sidecar.health()) === 'SERVING', 'health SERVING');
    expect(await readyz(sidecar)).toBe(200);
    expect(await statusOf(sidecar, token)).toBe(200);
  });

  it('with the backends unreachable keeps answering from the last state, then reconnects', async () => {
    const sidecar = await sidecarWith();
    await sidecar.app.validator.ready;
    const live = await startSession('partition-live');
    const doomed = await startSession('partition-doomed');
    expect(await statusOf(sidecar, live.token)).toBe(200);
    const sessionConnections = sessionLink.accepted;
    const issuerConnections = issuerLink.accepted;

    await issuerLink.cut();
    await sessionLink.cut();
    // A revocation the sidecar cannot hear about while cut off.
    await revoke(doomed.refreshTokenId);
    expect(await statusOf(sidecar, live.token)).toBe(200);
    expect(await statusOf(sidecar, doomed.token)).toBe(200);
    expect(await readyz(sidecar)).toBe(200);

    await issuerLink.resume();
    await sessionLink.resume();
    await until(
      async () => (await statusOf(sidecar, doomed.token)) === 401,
      'revocation caught up',
    );
    expect(sessionLink.accepted).toBeGreaterThan(sessionConnections);
    await until(() => issuerLink.accepted > issuerConnections, 'key stream reconnected');
    expect(await statusOf(sidecar, live.token)).toBe(200);
  });

  it('fails closed once revocations are staler than the bound, and is ready again when they are current', async () => {
    const sidecar = await sidecarWith({ maxStalenessSeconds: 60, staleMode: 'fail-closed' });
    await sidecar.app.validator.ready;
    const { token } = await startSession('stale-closed');
    await sessionLink.cut();
    const start = s.clock.now();
    try {
      s.clock.advance(61_000);
      expect(await statusOf(sidecar, token)).toBe(503);
      expect(await readyz(sidecar)).toBe(503);
      await until(async () => (await sidecar.health()) === 'NOT_SERVING', 'health NOT_SERVING');
      expect(await metric(sidecar, 'tessera_sidecar_revocations_stale')).toBe(1);
      const fusionAuth = await fetch(`${sidecar.httpUrl}/api/jwt/validate`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(fusionAuth.status).toBe(503);

      await sessionLink.resume();
      await until(async () => (await sidecar.health()) === 'SERVING', 'health SERVING again');
      expect(await statusOf(sidecar, token)).toBe(200);
      expect(await metric(sidecar, 'tessera_sidecar_revocations_stale')).toBe(0);
    } finally {
      s.clock.set(start);
    }
  });

  it('answers 503 in fail-closed mode when revocations went stale while a signature was checked', async () => {
    const sidecar = await sidecarWith({ maxStalenessSeconds: 60, staleMode: 'fail-closed' });
    await sidecar.app.validator.ready;
    const { token } = await startSession('stale-during-check');
    await sessionLink.cut();
    const start = s.clock.now();
    try {
      // A token this sidecar has not seen: its signature is checked on the thread pool, and
      // the decision is still pending when the bound passes.
      const decided = sidecar.app.decider.decide({ method: 'GET', target: '/', token });
      expect(decided).toBeInstanceOf(Promise);
      s.clock.advance(61_000);
      expect(await decided).toMatchObject({ allowed: false, status: 503, reason: 'UNAVAILABLE' });
    } finally {
      s.clock.set(start);
      await sessionLink.resume();
    }
  });

  it('in serve mode keeps answering stale, with the alarm metric raised', async () => {
    const sidecar = await sidecarWith({ maxStalenessSeconds: 60, staleMode: 'serve' });
    await sidecar.app.validator.ready;
    const { token } = await startSession('stale-serve');
    await sessionLink.cut();
    const start = s.clock.now();
    try {
      s.clock.advance(61_000);
      expect(await statusOf(sidecar, token)).toBe(200);
      expect(await statusOf(sidecar, 'x.y.z')).toBe(401);
      expect(await readyz(sidecar)).toBe(200);
      expect(await metric(sidecar, 'tessera_sidecar_revocations_stale')).toBe(1);
      expect(await metric(sidecar, 'tessera_sidecar_revocation_lag_seconds')).toBeGreaterThan(60);
    } finally {
      s.clock.set(start);
    }
  });

  it('keeps no more verified tokens than its cache cap', async () => {
    const sidecar = await sidecarWith({ cacheMaxEntries: 3 });
    await sidecar.app.validator.ready;
    for (let i = 0; i < 6; i++) {
      const { token } = await startSession(`cache-${i}`);
      expect(await statusOf(sidecar, token)).toBe(200);
      expect(await statusOf(sidecar, token)).toBe(200);
    }
    expect(sidecar.app.validator.state().cacheSize).toBe(3);
    expect(await metric(sidecar, 'tessera_sidecar_cache_entries')).toBe(3);
    expect(await metric(sidecar, 'tessera_sidecar_cache_hit_ratio')).toBeCloseTo(0.5, 5);
  });
});
