import { issuerV1, sessionV1 } from '@tessera/contracts';
import { describe, expect, it } from 'vitest';
import {
  accessRules,
  ISSUER_REQUIREMENTS,
  type RequirementTable,
  SESSION_REQUIREMENTS,
} from '../src/index.js';

type IssuerTable = RequirementTable<typeof issuerV1.IssuerServiceService>;

describe('security finding 13 — requirement tables are typed against the generated services', () => {
  it('finding 13: a table missing an RPC, or listing one that does not exist, does not compile', () => {
    const { watchKeys: _dropped, ...missingOne } = ISSUER_REQUIREMENTS;
    // @ts-expect-error watchKeys is not listed: a new RPC does not compile until it is.
    const incomplete: IssuerTable = missingOne;
    const stale = {
      ...ISSUER_REQUIREMENTS,
      // @ts-expect-error renamedRpc is no RPC of the issuer: stale entries do not compile either.
      renamedRpc: { kind: 'open' },
    } satisfies IssuerTable;
    // @ts-expect-error accessRules takes only a complete table.
    accessRules(issuerV1.IssuerServiceService, missingOne);
    expect(Object.keys(incomplete)).not.toContain('watchKeys');
    expect(Object.keys(stale)).toContain('renamedRpc');
  });

  it('finding 13: the tables list exactly the methods of the generated definitions', () => {
    expect(Object.keys(ISSUER_REQUIREMENTS).sort()).toEqual(
      Object.keys(issuerV1.IssuerServiceService).sort(),
    );
    expect(Object.keys(SESSION_REQUIREMENTS).sort()).toEqual(
      Object.keys(sessionV1.SessionServiceService).sort(),
    );
    const paths = [
      ...accessRules(issuerV1.IssuerServiceService, ISSUER_REQUIREMENTS).byPath.keys(),
      ...accessRules(sessionV1.SessionServiceService, SESSION_REQUIREMENTS).byPath.keys(),
    ];
    expect(paths).toContain('/tessera.issuer.v1.IssuerService/Vend');
    expect(paths).toContain('/tessera.session.v1.SessionService/WatchRevocations');
    expect(paths).toHaveLength(
      Object.keys(issuerV1.IssuerServiceService).length +
        Object.keys(sessionV1.SessionServiceService).length,
    );
  });
});
