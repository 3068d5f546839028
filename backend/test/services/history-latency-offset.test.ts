/**
 * History reads against the real VictoriaMetrics see every sample written,
 * however recent: VictoriaMetrics hides samples newer than its
 * -search.latencyOffset (30 s by default, 1 s in the services' and the
 * compose file's flags) from query_range unless the query says otherwise,
 * and history only ever asks for panes the writer has finished.
 */
import { VictoriaMetricsHistory } from '../../src/store/victoria-metrics-history';
import { VM_URL, flushVictoriaMetrics } from './services-env';

it('reads a window that ended a moment ago', async () => {
  const history = new VictoriaMetricsHistory(VM_URL);
  const name = `panecast_recent_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
  // Inside the services' 1 s latency offset (the default 30 s hides far more).
  const end = Date.now() - 300;
  await history.writeSamples([{ name, labels: { window: '1s' }, timestamp: end, value: 7 }]);
  await flushVictoriaMetrics();
  const answer = await history.aggregate({ name, match: { window: ['1s'] }, op: 'sum', by: [], windowMs: 1000, start: end, end, stepMs: 1000 });
  expect(answer).toEqual([{ labels: {}, points: [[end, 7]] }]);
});
