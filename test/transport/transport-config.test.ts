import { describe, expect, it } from 'vitest';
import { readGatewayEnv } from '../../services/gateway/src/config.js';
import { readIssuerEnv } from '../../services/issuer/src/config.js';

describe('transport settings', () => {
  const gatewayBase = { TESSERA_CONFIG: '/realm.yaml', GATEWAY_API_KEY: 'key' };
  const issuerBase = { TESSERA_CONFIG: '/realm.yaml' };

  it('default to the stream transport', () => {
    expect(readGatewayEnv(gatewayBase).GRPC_TRANSPORT).toBe('stream');
    expect(readIssuerEnv(issuerBase).SESSION_TRANSPORT).toBe('stream');
  });

  it('accept unary', () => {
    expect(readGatewayEnv({ ...gatewayBase, GRPC_TRANSPORT: 'unary' }).GRPC_TRANSPORT).toBe(
      'unary',
    );
    expect(readIssuerEnv({ ...issuerBase, SESSION_TRANSPORT: 'unary' }).SESSION_TRANSPORT).toBe(
      'unary',
    );
  });

  it('refuse anything else, naming the variable', () => {
    expect(() => readGatewayEnv({ ...gatewayBase, GRPC_TRANSPORT: 'http' })).toThrow(
      /GRPC_TRANSPORT/,
    );
    expect(() => readIssuerEnv({ ...issuerBase, SESSION_TRANSPORT: 'Stream' })).toThrow(
      /SESSION_TRANSPORT/,
    );
  });
});
