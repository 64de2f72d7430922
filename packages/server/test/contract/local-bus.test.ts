import { LocalBus } from '../../src/cluster/local-bus.js';
import { onCleanup } from '../support/server.js';
import { busContract } from './bus-contract.js';

busContract(
  'local',
  async (n) => {
    if (n > 1) throw new Error('the in-process bus has one node');
    const bus = new LocalBus();
    onCleanup(() => bus.close());
    return [bus];
  },
  { maxNodes: 1 },
);
