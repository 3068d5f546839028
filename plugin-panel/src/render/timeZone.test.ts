import uPlot from 'uplot';

import { zonedDate } from './timeZone';

describe('zonedDate', () => {
  // Around New York's switch to summer time (2026-03-08 07:00 UTC) and an India-time midnight.
  const instants = [
    Date.UTC(2026, 2, 8, 6, 59, 59, 250),
    Date.UTC(2026, 2, 8, 7, 0, 0),
    Date.UTC(2026, 10, 27, 18, 30),
  ];

  it.each(['America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Europe/Berlin'])(
    'reads the wall clock of %s as uPlot.tzDate does',
    (zone) => {
      for (const ms of instants) {
        expect(zonedDate(ms, zone).getTime()).toBe(uPlot.tzDate(new Date(ms), zone).getTime());
      }
    }
  );

  it("maps Grafana's zone names: utc is UTC, browser is the browser's own", () => {
    const ms = Date.UTC(2026, 10, 27, 18, 30, 15);
    expect(zonedDate(ms, 'utc').getTime()).toBe(uPlot.tzDate(new Date(ms), 'UTC').getTime());
    expect(zonedDate(ms, 'browser').getTime()).toBe(ms);
    expect(zonedDate(ms, '').getTime()).toBe(ms);
  });

  it('falls back to the browser zone for a zone name it does not know, rather than throwing', () => {
    expect(zonedDate(1000, 'Not/AZone').getTime()).toBe(1000);
  });
});
