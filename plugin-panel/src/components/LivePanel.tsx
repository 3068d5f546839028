import React, { useCallback, useMemo, useState } from 'react';
import { css } from '@emotion/css';
import { type GrafanaTheme2, type PanelProps } from '@grafana/data';
import { usePanelContext, useStyles2, useTheme2 } from '@grafana/ui';

import { connectionOf } from '../data/connection';
import { type LegendItem, legendOf, sameLegend } from '../data/legend';
import { type ChartModel } from '../data/model';
import { undrawableReason } from '../data/shape';
import { type XRange } from '../data/visible';
import { type LiveOptions } from '../types';
import { Legend } from './Legend';
import { LiveChart } from './LiveChart';
import { StatusBadges } from './StatusBadges';
import { countSeries, panelLayout } from './layout';
import { useStale } from './useStale';

type Props = PanelProps<LiveOptions>;

/** The Panecast live panel: uPlot chart, connection and stale badges, legend with current values. */
export function LivePanel({ data, options, width, height, timeRange, timeZone, onChangeTimeRange }: Props) {
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  // The dashboard's bus and cursor sync mode, where Grafana's own time series panels read them.
  const { eventBus, sync } = usePanelContext();
  const [legend, setLegend] = useState<LegendItem[]>([]);
  // Runs after each repaint (≤ 20 Hz); an unchanged legend keeps its array so React skips it.
  const onModel = useCallback((model: ChartModel, xRange: XRange) => {
    const next = legendOf(model, xRange);
    setLegend((previous) => (sameLegend(previous, next) ? previous : next));
  }, []);

  const connection = connectionOf(data);
  const stale = useStale(data, connection, options.staleAfterSeconds);
  const seriesCount = useMemo(() => countSeries(data.series), [data.series]);
  const layout = panelLayout(width, height, options.legend, seriesCount);
  // A live query with no series yet is waiting for its first window; history that came back
  // empty, or a lost connection, has nothing coming.
  const waiting = connection !== 'history' && connection !== 'disconnected';
  // Data that came but cannot be drawn says why: waiting for it would never end.
  const unusable = useMemo(() => (seriesCount === 0 ? undrawableReason(data.series) : undefined), [seriesCount, data.series]);
  const emptyState = unusable !== undefined ? 'unusable' : waiting ? 'waiting' : 'none';

  return (
    <div
      className={options.legend.placement === 'right' ? styles.row : styles.column}
      style={{ width, height }}
      data-testid="panecast-panel"
    >
      <div className={styles.plot} style={layout.chart}>
        <LiveChart
          data={data}
          options={options}
          timeRange={timeRange}
          timeZone={timeZone}
          theme={theme}
          onChangeTimeRange={onChangeTimeRange}
          eventBus={eventBus}
          sync={sync}
          width={layout.chart.width}
          height={layout.chart.height}
          onModel={onModel}
        />
        <StatusBadges connection={connection} stale={stale} staleAfterSeconds={options.staleAfterSeconds} />
        {seriesCount === 0 && (
          <div className={styles.empty} data-testid="panecast-empty" data-state={emptyState}>
            {unusable ?? (waiting ? 'Waiting for data' : 'No data')}
          </div>
        )}
      </div>
      {layout.legend !== undefined && (
        <Legend
          items={legend}
          placement={options.legend.placement}
          box={layout.legend}
          showCorrections={options.markCorrections}
        />
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  column: css({ display: 'flex', flexDirection: 'column', overflow: 'hidden' }),
  row: css({ display: 'flex', flexDirection: 'row', overflow: 'hidden' }),
  plot: css({ position: 'relative', flex: 'none' }),
  empty: css({
    position: 'absolute',
    inset: 0,
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    color: theme.colors.text.secondary,
  }),
});
