import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { LazyCallValues } from '../src/call-context.js';
import { type CallContext, CallKey } from '../src/index.js';
import { composeInterceptors, type Interceptor, runInterceptors } from '../src/interceptor.js';

function context(): CallContext {
  return {
    method: '/test.v1.Test/Call',
    kind: 'unary',
    metadata: undefined as never,
    peer: 'test',
    deadline: undefined,
    signal: new AbortController().signal,
    aborted: () => false,
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

  it('refuses a second next() passed a new context of the same call', async () => {
    const twice: Interceptor = async (request, ctx, next) => {
      await next(request, { ...ctx, requestId: 'r2' });
      return next(request, { ...ctx });
    };
    await expect(runInterceptors([twice], 1, context(), async () => 1)).rejects.toThrow(
      'more than once',
    );
  });
});

describe('composeInterceptors', () => {
  it('composes once and serves many calls, concurrent ones too, each guarded on its own', async () => {
    let handled = 0;
    const passing: Interceptor = async (request, ctx, next) => next(request, ctx);
    const chain = composeInterceptors([passing, passing], async (request) => {
      handled++;
      return request;
    });
    const answers = await Promise.all([1, 2, 3].map((request) => chain(request, context())));
    expect(answers).toEqual([1, 2, 3]);
    expect(await chain(4, context())).toBe(4);
    expect(handled).toBe(4);
  });

  it('refuses a second next() in one call without affecting the next call', async () => {
    let calls = 0;
    const twiceOnFirst: Interceptor = async (request, ctx, next) => {
      calls++;
      const response = await next(request, ctx);
      return calls === 1 ? next(request, ctx) : response;
    };
    const chain = composeInterceptors([twiceOnFirst], async () => 'ok');
    await expect(chain(1, context())).rejects.toThrow('more than once');
    expect(await chain(1, context())).toBe('ok');
  });
});
