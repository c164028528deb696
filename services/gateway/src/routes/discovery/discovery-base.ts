/**
 * The base URL discovery documents build their URLs (`jwks_uri`) from, when one is configured:
 * `GATEWAY_PUBLIC_URL`, else the tenant's issuer when it is an https URL (FusionAuth serves
 * its keys under its issuer). Undefined when neither is: the caller then falls back to the
 * request's Host and must keep shared caches from storing the answer, since a Host header
 * is the client's to choose (a cache would serve a forged `jwks_uri` to everyone).
 */
export function configuredDiscoveryBase(publicUrl: string, issuer: string): string | undefined {
  if (publicUrl !== '') return publicUrl;
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.search !== '' || url.hash !== '') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  const href = url.href;
  return href.endsWith('/') ? href.slice(0, -1) : href;
}
