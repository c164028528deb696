import { status as Status } from '@grpc/grpc-js';
import { isTesseraError } from '@tessera/errors';
import { readErrorDetails } from '@tessera/grpc-runtime';
import { CommanderError } from 'commander';

/** What `tessera` exits with, so scripts can tell the cases apart. */
export const EXIT = Object.freeze({
  /** Done; for `validate`, the token is valid. */
  OK: 0,
  /** The token is invalid, or the service refused the request (bad key, no permission…). */
  INVALID: 1,
  /** The command line is wrong (unknown option, bad value, missing argument) or a file it names is. */
  USAGE: 2,
  /** The service could not be reached or did not answer in time. */
  UNAVAILABLE: 3,
});

/** The exit codes as `--help` shows them. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  success (validate: the token is valid)
  1  the token is invalid, or the service refused the request
  2  usage error: unknown option, bad value, missing argument, or an invalid file
  3  backend unavailable: the service could not be reached or did not answer in time`;

// Transport failures: nothing was decided about the request.
const UNAVAILABLE_STATUSES: ReadonlySet<Status> = new Set([
  Status.UNAVAILABLE,
  Status.DEADLINE_EXCEEDED,
]);

/** The exit code for an error that ended a command. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // --help and --version exit 0; every other commander error is about the command line.
    return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  const rpc = readErrorDetails(error);
  if (rpc !== undefined)
    return UNAVAILABLE_STATUSES.has(rpc.code) ? EXIT.UNAVAILABLE : EXIT.INVALID;
  if (isTesseraError(error, 'UNAVAILABLE')) return EXIT.UNAVAILABLE;
  // A TesseraError outside a call is a file or value the operator gave (a realm, a key file).
  if (isTesseraError(error)) return EXIT.USAGE;
  return EXIT.INVALID;
}
