import { TRANSPORT_KINDS } from '@tessera/grpc-runtime';
import { memoryStores } from '../support/stack.js';
import { describeSessionFlows } from './session-flows.suite.js';

// The issuer reaches the session service over each transport; the flows must not tell them apart.
for (const transport of TRANSPORT_KINDS) {
  describeSessionFlows(`memory store, ${transport} transport`, () => ({
    stores: memoryStores,
    transport,
  }));
}
