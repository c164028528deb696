import { randomBytes } from 'node:crypto';
import { ManualClock } from '@tessera/clock';
import { describe } from 'vitest';
import { createMemoryRefreshTokenStore } from '../../src/store/index.js';
import { refreshTokenStoreConformance } from './refresh-token-store-conformance.js';

describe('memory refresh-token store', () => {
  refreshTokenStoreConformance({
    redis: false,
    open: async () => {
      const clock = new ManualClock();
      const store = createMemoryRefreshTokenStore({ pepper: randomBytes(32), clock });
      return { store, clock, close: () => store.close() };
    },
  });
});
