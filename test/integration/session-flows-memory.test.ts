import { memoryStores } from '../support/stack.js';
import { describeSessionFlows } from './session-flows.suite.js';

describeSessionFlows('memory store', () => ({ stores: memoryStores }));
