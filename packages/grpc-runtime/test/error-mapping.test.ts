import { Metadata, type ServiceError, status as Status } from '@grpc/grpc-js';
import { ERROR_CODES, TesseraError } from '@tessera/errors';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  ERROR_DOMAIN,
  ERROR_REASON_KEY,
  readErrorDetails,
  STATUS_BY_ERROR_CODE,
  STATUS_DETAILS_KEY,
  toServiceError,
} from '../src/index.js';
import { decodeStatusDetails } from '../src/status-details.js';
import { captureLogger } from './support/capture-logger.js';

const silent = pino({ level: 'silent' });

/** What a failed client call looks like: toServiceError's output as the client receives it. */
function asClientError(error: unknown): ServiceError {
  const status = toServiceError(error, silent);
  return Object.assign(new Error(status.details), status);
}

function downstream(code: Status, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${details}`), {
    code,
    details,
    metadata: new Metadata(),
  });
}

describe('toServiceError', () => {
  it.each(ERROR_CODES)('maps %s through the table with ErrorInfo and the plain reason', (code) => {
    const status = toServiceError(new TesseraError(code, `failed: ${code}`), silent);
    expect(status.code).toBe(STATUS_BY_ERROR_CODE[code]);
    expect(status.details).toBe(`failed: ${code}`);
    expect(status.metadata.get(ERROR_REASON_KEY)).toEqual([code]);
    const [bytes] = status.metadata.get(STATUS_DETAILS_KEY);
    expect(Buffer.isBuffer(bytes)).toBe(true);
    const decoded = decodeStatusDetails(bytes as Buffer);
    expect(decoded.code).toBe(STATUS_BY_ERROR_CODE[code]);
    expect(decoded.message).toBe(`failed: ${code}`);
    expect(decoded.errorInfo).toEqual({ reason: code, domain: ERROR_DOMAIN, metadata: {} });
    expect(decoded.badRequest).toBeUndefined();
  });

  it('decides the debatable rows on purpose', () => {
    expect(STATUS_BY_ERROR_CODE.KEY_NOT_FOUND).toBe(Status.NOT_FOUND);
    expect(STATUS_BY_ERROR_CODE.LIMIT_EXCEEDED).toBe(Status.INVALID_ARGUMENT);
    expect(STATUS_BY_ERROR_CODE.REFRESH_TOKEN_INVALID).toBe(Status.FAILED_PRECONDITION);
    expect(STATUS_BY_ERROR_CODE.SHUTTING_DOWN).toBe(Status.UNAVAILABLE);
  });

  it('adds a BadRequest violation and ErrorInfo metadata that readErrorDetails returns', () => {
    const error = new TesseraError('LIMIT_EXCEEDED', 'too many claim sets', {
      field: 'claim_sets',
      metadata: { limit: '100' },
    });
    expect(readErrorDetails(asClientError(error))).toEqual({
      code: Status.INVALID_ARGUMENT,
      reason: 'LIMIT_EXCEEDED',
      field: 'claim_sets',
      metadata: { limit: '100' },
      message: 'too many claim sets',
    });
    const [bytes] = toServiceError(error, silent).metadata.get(STATUS_DETAILS_KEY);
    expect(decodeStatusDetails(bytes as Buffer).badRequest).toEqual({
      fieldViolations: [
        { field: 'claim_sets', description: 'too many claim sets', reason: 'LIMIT_EXCEEDED' },
      ],
    });
  });

  it('sends unknown errors as UNKNOWN "internal error" and logs their stack', () => {
    const logs = captureLogger();
    const status = toServiceError(new Error('db password is hunter2'), logs.logger);
    expect(status.code).toBe(Status.UNKNOWN);
    expect(status.details).toBe('internal error');
    expect(status.metadata.get(ERROR_REASON_KEY)).toEqual(['INTERNAL']);
    const [bytes] = status.metadata.get(STATUS_DETAILS_KEY);
    expect((bytes as Buffer).toString('latin1')).not.toContain('hunter2');
    expect(logs.text()).toContain('hunter2');
    expect(logs.records[0]).toMatchObject({ level: 50, err: { stack: expect.any(String) } });
  });

  it('keeps a downstream UNAVAILABLE or DEADLINE_EXCEEDED, with reason UNAVAILABLE', () => {
    for (const code of [Status.UNAVAILABLE, Status.DEADLINE_EXCEEDED]) {
      const details = readErrorDetails(
        asClientError(downstream(code, 'connect ECONNREFUSED 10.0.0.7')),
      );
      expect(details).toMatchObject({ code, reason: 'UNAVAILABLE' });
      expect(details?.message).not.toContain('10.0.0.7');
    }
  });

  it('turns any other downstream failure into an internal error', () => {
    const details = readErrorDetails(asClientError(downstream(Status.NOT_FOUND, 'no such user')));
    expect(details).toMatchObject({
      code: Status.UNKNOWN,
      reason: 'INTERNAL',
      message: 'internal error',
    });
  });

  it('is idempotent', () => {
    const once = toServiceError(new TesseraError('TENANT_NOT_FOUND', 'no tenant'), silent);
    expect(toServiceError(once, silent)).toBe(once);
  });
});

describe('readErrorDetails', () => {
  it('ignores what is not a gRPC error', () => {
    expect(readErrorDetails(new Error('x'))).toBeUndefined();
    expect(readErrorDetails({ code: 'ECONNREFUSED' })).toBeUndefined();
    expect(readErrorDetails(undefined)).toBeUndefined();
  });

  it('falls back to the plain reason trailer and the status message', () => {
    const error = downstream(Status.NOT_FOUND, 'no such tenant');
    error.metadata.set(STATUS_DETAILS_KEY, Buffer.from([0xff, 0xff, 0xff]));
    error.metadata.set(ERROR_REASON_KEY, 'TENANT_NOT_FOUND');
    expect(readErrorDetails(error)).toEqual({
      code: Status.NOT_FOUND,
      reason: 'TENANT_NOT_FOUND',
      field: undefined,
      metadata: {},
      message: 'no such tenant',
    });
  });

  it('leaves an unknown reason undefined', () => {
    const error = downstream(Status.INTERNAL, 'boom');
    error.metadata.set(ERROR_REASON_KEY, 'SOMETHING_ELSE');
    expect(readErrorDetails(error)?.reason).toBeUndefined();
  });
});
