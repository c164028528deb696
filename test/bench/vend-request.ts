import type { issuerV1 } from '@tessera/contracts';

/** The Vend every gRPC figure of the bench makes: a small user token, the tenant's key, full TTL. */
export function benchVendRequest(tenantId: string): issuerV1.VendRequest {
  return {
    tenantId,
    claimsJson: JSON.stringify({ sub: 'bench-user', roles: ['user'] }),
    keyId: '',
    timeToLiveSeconds: 0,
  };
}
