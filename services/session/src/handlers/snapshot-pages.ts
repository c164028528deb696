import { sessionV1 } from '@tessera/contracts';
import type { RevocationSnapshot } from '../store/revocation-log.js';
import { revocationToProto } from './convert.js';

/**
 * The largest WatchRevocations message, in bytes. A snapshot of a big set as one message
 * would pass the 4 MiB gRPC default and fail every new subscriber for as long as the set
 * stays big; pages of at most this size never do, whatever the set holds.
 */
export const MAX_WATCH_MESSAGE_BYTES = 64 * 1024;

/**
 * What a page message costs besides its entries: the response and snapshot tags and lengths,
 * the sequence (≤ 10 bytes), the epoch (a UUID) and the page index, with room to spare.
 */
const PAGE_OVERHEAD_BYTES = 256;

/** The bytes one entry adds to a page: its field tag, length prefix and body. */
function entryBytes(revocation: sessionV1.Revocation): number {
  const body = sessionV1.Revocation.encode(revocation).finish().length;
  return 1 + varintBytes(body) + body;
}

function varintBytes(value: number): number {
  let bytes = 1;
  for (let rest = value >>> 7; rest > 0; rest >>>= 7) bytes += 1;
  return bytes;
}

/**
 * A snapshot as WatchRevocations sends it: pages of at most `maxBytes` each (at least one
 * page, empty for an empty set), then a SnapshotEnd naming how many pages came before it.
 */
export function* snapshotMessages(
  snapshot: RevocationSnapshot,
  maxBytes: number = MAX_WATCH_MESSAGE_BYTES,
): Generator<sessionV1.WatchRevocationsResponse> {
  const budget = maxBytes - PAGE_OVERHEAD_BYTES;
  const { sequence, epoch } = snapshot;
  let page = 0;
  let revocations: sessionV1.Revocation[] = [];
  let bytes = 0;
  const pageMessage = (): sessionV1.WatchRevocationsResponse => ({
    kind: { $case: 'snapshot', value: { sequence, epoch, page, revocations } },
  });
  for (const revocation of snapshot.revocations) {
    const proto = revocationToProto(revocation);
    const size = entryBytes(proto);
    if (revocations.length > 0 && bytes + size > budget) {
      yield pageMessage();
      page += 1;
      revocations = [];
      bytes = 0;
    }
    revocations.push(proto);
    bytes += size;
  }
  yield pageMessage();
  yield { kind: { $case: 'snapshotEnd', value: { sequence, epoch, pages: page + 1 } } };
}
