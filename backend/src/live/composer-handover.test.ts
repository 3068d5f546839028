/** A composer handover over the memory bus (the same scenario runs over Redis in test/services). */
import { composerHandoverContract, HANDOVER_BUS_OPTIONS } from '../../test/composer-handover-contract';
import { MemoryLiveBus } from './memory-live-bus';

composerHandoverContract('memory', async () => {
  // One process's bus, both composers on it: publish() speaks for whichever last took the lease.
  const bus = new MemoryLiveBus(HANDOVER_BUS_OPTIONS, () => 1_800_000_000_000);
  return { first: bus, second: bus };
});
