import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { LazyCallValues } from '../src/call-context.js';
import { type CallContext, CallKey } from '../src/index.js';
import { type Interceptor, runInterceptors } from '../src/interceptor.js';

function context(): CallContext {
  return {
    method: '/test.v1.Test/Call',
    kind: 'unary',
    metadata: undefined as never,
    peer: 'test',
    deadline: undefined,
    signal: new AbortController().signal,
    requestId: 'r1',
    log: pino({ level: 'silent' }),
    values: new LazyCallValues(),
  };
}

describe('runInterceptors', () => {
  it('runs interceptors from the outside in around the terminal', async () => {
    const order: string[] = [];
    const named =
      (name: string): Interceptor =>
      async (request, ctx, next) => {
        order.push(`${name} in`);
        const response = await next(request, ctx);
        order.push(`${name} out`);
        return response;
      };
    const response = await runInterceptors(
      [named('a'), named('b')],
      1,
      context(),
      async (request) => {
        order.push('handler');
        return (request as number) + 1;
      },
    );
    expect(response).toBe(2);
    expect(order).toEqual(['a in', 'b in', 'handler', 'b out', 'a out']);
  });

  it('turns a synchronous throw into a rejection', async () => {
    const throwing: Interceptor = () => {
      throw new Error('sync');
    };
    await expect(runInterceptors([throwing], 1, context(), async () => 1)).rejects.toThrow('sync');
  });

  it('refuses a second next()', async () => {
    const twice: Interceptor = async (request, ctx, next) => {
      await next(request, ctx);
      return next(request, ctx);
    };
    await expect(runInterceptors([twice], 1, context(), async () => 1)).rejects.toThrow(
      'more than once',
    );
  });

  it('lets an interceptor hand a typed value to the handler', async () => {
    const tenant = new CallKey<{ id: string }>('tenant');
    const setTenant: Interceptor = (request, ctx, next) => {
      ctx.values.set(tenant, { id: 't1' });
      return next(request, ctx);
    };
    const seen = await runInterceptors([setTenant], 1, context(), async (_request, ctx) =>
      ctx.values.get(tenant),
    );
    expect(seen).toEqual({ id: 't1' });
  });
});
