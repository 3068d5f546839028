/**
 * A subscribe the gateway refuses over a limit (here the tenant's distinct live queries,
 * PANECAST_ERR_TOO_MANY_LIVE_QUERIES) reaches the panel as its error, with the code, and is not
 * sent again in a loop; the connection and the other panels on it carry on.
 */
import { LoadingState, type DataQueryResponse } from '@grafana/data';
import type { SubscribeQuery } from '@panecast/protocol';

import type { DataSource } from './datasource';
import type { FakeLiveServer } from './test-support/fake-live-server';
import { TARGET, last, request, settle as settleRig, startQueryRig } from './test-support/query-harness';

const REFUSAL = {
  code: 'PANECAST_ERR_TOO_MANY_LIVE_QUERIES',
  message: "The token's tenant already has 1000 distinct live queries watched, the most it may; subscribe to one of them, or wait until queries no one watches any more stop counting",
};

describe('DataSource.query: a subscribe refused over a limit', () => {
  let server: FakeLiveServer;
  let ds: DataSource;

  const settle = () => settleRig(server);

  beforeEach(() => {
    ({ server, ds } = startQueryRig());
  });
  afterEach(() => jest.useRealTimers());

  it('shows the refusal on its panel, once, while another panel on the same connection streams', async () => {
    server.refuseSubscribes = REFUSAL;
    const refused: DataQueryResponse[] = [];
    const first = ds.query(request([TARGET])).subscribe((r) => refused.push(r));
    await settle();
    server.refuseSubscribes = undefined;
    const served: DataQueryResponse[] = [];
    const second = ds.query(request([{ ...TARGET, refId: 'B', window: { type: 'tumbling', size: '2s' } }])).subscribe((r) => served.push(r));
    await settle();
    for (let second = 0; second < 10; second++) {
      jest.advanceTimersByTime(1000);
      await settle();
    }

    // History stays on the panel beside the error, as for every live refusal.
    expect(last(refused).errors?.map((e) => e.message)).toEqual([`[${REFUSAL.code}] ${REFUSAL.message}`]);
    // Not resent on a timer (unlike PANECAST_ERR_INTERNAL): only a new query subscribes again.
    expect(server.framesOf('subscribe').map((f) => (f.query as SubscribeQuery).window.size)).toEqual([1000, 2000]);
    expect(server.connections).toHaveLength(1);
    expect(last(served).state).toBe(LoadingState.Streaming);
    expect(last(served).errors).toBeUndefined();
    first.unsubscribe();
    second.unsubscribe();
  });
});
