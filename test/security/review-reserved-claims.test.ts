import type { issuerV1 } from '@tessera/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimsOf, type Stack, startStack } from '../support/stack.js';

// The role and scope claim types .NET consumers (Neostore's own clients among them) read:
// JwtSecurityTokenHandler maps `role` and `roles` to ClaimTypes.Role, and a claim already
// named ClaimTypes.Role is a role as it is; Microsoft.Identity.Web reads scopes from `scp`
// and from its ClaimConstants.Scope URI.
const DOTNET_ROLE = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';
const DOTNET_SCOPE = 'http://schemas.microsoft.com/identity/claims/scope';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(() => s?.close());

/** IssueApplicationToken as the application-bound key calls it; the refusal, or the claims signed. */
async function applicationToken(
  claims: Record<string, unknown>,
): Promise<{ refused: string } | { claims: Record<string, unknown> }> {
  try {
    const { token } = await s.call<
      issuerV1.IssueApplicationTokenRequest,
      issuerV1.IssueApplicationTokenResponse
    >(s.issuerClient, 'issueApplicationToken', { claimsJson: JSON.stringify(claims) });
    return { claims: claimsOf(token) };
  } catch (error) {
    return { refused: String(error) };
  }
}

describe('review: the reserved-claims list misses the other spellings of roles and scope', () => {
  it.each([
    ['role', 'admin'],
    [DOTNET_ROLE, 'admin'],
    [DOTNET_ROLE, ['admin']],
  ])('review: an application token cannot carry roles as %s', async (name, value) => {
    // `roles` is refused on application tokens; the same authority under another name is too.
    const result = await applicationToken({ [name]: value });
    expect(result).toHaveProperty('refused');
  });

  it('review: no minted token carries the Generate scope under the .NET scope claim type', async () => {
    const result = await applicationToken({ [DOTNET_SCOPE]: 'AuthenticationToken.Write' });
    expect(result).toHaveProperty('refused');
  });
});
