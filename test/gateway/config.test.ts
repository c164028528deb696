import { describe, expect, it } from 'vitest';
import { readGatewayEnv } from '../../services/gateway/src/config.js';

describe('gateway environment', () => {
  const base = { TESSERA_CONFIG: 'realm.yaml', GATEWAY_API_KEY: 'k' };

  it('serves /metrics on the management port by default, and not at all when it is empty', () => {
    expect(readGatewayEnv(base).GATEWAY_METRICS_ADDRESS).toBe('0.0.0.0:9466');
    expect(readGatewayEnv({ ...base, GATEWAY_METRICS_ADDRESS: '127.0.0.1:0' })).toMatchObject({
      GATEWAY_METRICS_ADDRESS: '127.0.0.1:0',
    });
    // As for the issuer and the session service: empty turns the metrics server off.
    expect(readGatewayEnv({ ...base, GATEWAY_METRICS_ADDRESS: '' }).GATEWAY_METRICS_ADDRESS).toBe(
      '',
    );
  });

  it('refuses a management address that is not host:port, naming the variable', () => {
    for (const bad of ['9466', 'metrics', '0.0.0.0:99999'])
      expect(() => readGatewayEnv({ ...base, GATEWAY_METRICS_ADDRESS: bad }), bad).toThrow(
        /GATEWAY_METRICS_ADDRESS/,
      );
  });
});
