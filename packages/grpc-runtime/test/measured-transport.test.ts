import { Metadata, status } from '@grpc/grpc-js';
import { issuerV1 } from '@tessera/contracts';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { CallTransport } from '../src/caller.js';
import { measuredTransport } from '../src/metrics/client-call-metrics.js';

/** A transport that answers from a script: what is under test is only the counting around it. */
function scripted(outcomes: (Error & { code?: number })[] | 'ok'): CallTransport {
  let index = 0;
  return {
    call: <_Req, Res>() => {
      if (outcomes === 'ok') return Promise.resolve({} as Res);
      const outcome = outcomes[index++];
      return Promise.reject(outcome);
    },
    close: () => {},
  };
}

const vend = issuerV1.IssuerServiceService.vend;

describe('measuredTransport', () => {
  it('counts each carried call under its own method and code, as the unary transport does', async () => {
    const registry = new Registry();
    const ok = measuredTransport(scripted('ok'), registry);
    await ok.call(vend, {} as never, { deadline: Date.now() + 1000 });
    const failing = measuredTransport(
      scripted([
        Object.assign(new Error('gone'), {
          code: status.UNAVAILABLE,
          details: 'gone',
          metadata: new Metadata(),
        }),
        new Error('odd'),
      ]),
      registry,
    );
    await expect(failing.call(vend, {} as never, { deadline: Date.now() + 1000 })).rejects.toThrow(
      'gone',
    );
    await expect(failing.call(vend, {} as never, { deadline: Date.now() + 1000 })).rejects.toThrow(
      'odd',
    );

    const text = await registry.metrics();
    const method =
      'grpc_type="unary",grpc_service="tessera.issuer.v1.IssuerService",grpc_method="Vend"';
    expect(text).toContain(`grpc_client_started_total{${method}} 3`);
    for (const code of ['OK', 'UNAVAILABLE', 'UNKNOWN']) {
      expect(text).toContain(`grpc_client_handled_total{${method},grpc_code="${code}"} 1`);
    }
    expect(text).toContain(`grpc_client_in_flight_calls{${method}} 0`);
  });
});
