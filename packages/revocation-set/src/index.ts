/**
 * Revocation reaches already-issued access tokens: validators keep the session
 * service's live revocations in a RevocationSet, current through its WatchRevocations stream.
 */
export {
  type FollowRevocationsOptions,
  followRevocations,
  type RevocationFollower,
} from './follow-revocations.js';
export { type LiveRevocation, RevocationSet } from './revocation-set.js';
