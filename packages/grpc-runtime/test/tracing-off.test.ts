import { DISABLED_TRACING } from '@tessera/tracing';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createCallPipeline, withClientTracing } from '../src/index.js';

// Tracing that is off must cost nothing per call: no interceptor on either side.
describe('tracing off', () => {
  it('adds no server interceptor to the call pipeline', () => {
    const logger = pino({ level: 'silent' });
    const plain = createCallPipeline({ logger });
    const off = createCallPipeline({ logger, tracing: DISABLED_TRACING });
    expect(off.interceptors).toHaveLength(plain.interceptors.length);
  });

  it('leaves client options as they are', () => {
    const options = { 'grpc.keepalive_time_ms': 30_000 };
    expect(withClientTracing(options, DISABLED_TRACING)).toBe(options);
  });
});
