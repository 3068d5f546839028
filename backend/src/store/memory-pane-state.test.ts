import { paneStateContract } from '../../test/pane-state-contract';
import { MemoryPaneState } from './memory-pane-state';

paneStateContract('memory', async () => new MemoryPaneState());
