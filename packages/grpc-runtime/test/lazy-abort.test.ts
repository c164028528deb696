import { describe, expect, it } from 'vitest';
import { LazyAbort } from '../src/call-context.js';

describe("a call's abort state", () => {
  it('aborts a signal made before the abort, with the first reason', () => {
    const state = new LazyAbort();
    const signal = state.signal;
    expect(signal.aborted).toBe(false);
    state.abort('cancelled');
    state.abort('deadline');
    expect(state.aborted).toBe(true);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('cancelled');
    expect(state.signal).toBe(signal);
  });

  it('hands out an already aborted signal, with the reason, when made after the abort', () => {
    const state = new LazyAbort();
    state.abort('deadline');
    expect(state.aborted).toBe(true);
    expect(state.signal.aborted).toBe(true);
    expect(state.signal.reason).toBe('deadline');
  });

  it('tells whether it aborted without making a signal', () => {
    const state = new LazyAbort();
    expect(state.aborted).toBe(false);
    let fired = 0;
    state.signal.addEventListener('abort', () => fired++);
    state.abort(new Error('shutdown'));
    expect(fired).toBe(1);
  });
});
