import { dedupStoreContract } from '../../test/dedup-store-contract';
import { MemoryDedupStore } from './memory-dedup-store';

dedupStoreContract('memory', async () => new MemoryDedupStore());
