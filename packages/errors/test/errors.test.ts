import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  invalidArgument,
  isErrorCode,
  isTesseraError,
  TesseraError,
} from '../src/index.js';

describe('TesseraError', () => {
  it('carries a code, a field and metadata', () => {
    const error = invalidArgument('claims_json', 'must be a JSON object', { limit: '100' });
    expect(error).toBeInstanceOf(TesseraError);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.field).toBe('claims_json');
    expect(error.metadata).toEqual({ limit: '100' });
    expect(isTesseraError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(isTesseraError(error, 'INTERNAL')).toBe(false);
    expect(isTesseraError(new Error('x'))).toBe(false);
  });

  it('keeps the cause for logs', () => {
    const cause = new Error('low level');
    expect(new TesseraError('UNAVAILABLE', 'redis down', { cause }).cause).toBe(cause);
  });

  it('knows its closed set of codes', () => {
    expect(ERROR_CODES).toContain('TENANT_ID_REQUIRED');
    expect(isErrorCode('UNAUTHENTICATED')).toBe(true);
    expect(isErrorCode('NOPE')).toBe(false);
  });
});

describe('the error contract', () => {
  it('has exactly the reasons of tessera.common.v1.ErrorReason', async () => {
    const { commonV1 } = await import('@tessera/contracts');
    const fromProto = Object.values(commonV1.ErrorReason)
      .filter((name) => name !== 'ERROR_REASON_UNSPECIFIED' && name !== 'UNRECOGNIZED')
      .map((name) => name.replace(/^ERROR_REASON_/, ''));
    expect([...ERROR_CODES].sort()).toEqual(fromProto.sort());
  });
});
