import React, { memo, useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';

import { type ChartModel } from '../data/model';
import { type XRange } from '../data/visible';
import { type ChartInput, PlotController } from '../render/controller';
import { HoverChannel } from '../render/hover';
import { browserClock } from '../render/scheduler';
import { Tooltip } from './Tooltip';

export interface LiveChartProps extends ChartInput {
  width: number;
  height: number;
  /** Called after each repaint with the model it drew and its x range (at most ~20 times a second). */
  onModel: (model: ChartModel, xRange: XRange) => void;
}

/**
 * The uPlot canvas and its hover tooltip. React only hands new props to the controller; the
 * controller repaints at its own pace, so a burst of updates costs one repaint and no React work
 * per point. Cursor moves go from the controller to the tooltip through a channel, not props.
 */
export const LiveChart = memo(function LiveChart({
  width,
  height,
  onModel,
  data,
  timeRange,
  timeZone,
  options,
  theme,
  onChangeTimeRange,
  eventBus,
  sync,
}: LiveChartProps) {
  const styles = useStyles2(getStyles);
  const root = useRef<HTMLDivElement>(null);
  const controller = useRef<PlotController | null>(null);
  const [hovers] = useState(() => new HoverChannel());
  const onModelRef = useRef(onModel);
  useLayoutEffect(() => {
    onModelRef.current = onModel;
  }, [onModel]);

  useEffect(() => {
    const element = root.current;
    if (element === null) {
      return undefined;
    }
    const created = new PlotController(
      element,
      (model, xRange) => onModelRef.current(model, xRange),
      browserClock,
      hovers.post
    );
    controller.current = created;
    return () => {
      created.destroy();
      controller.current = null;
    };
  }, [hovers]);

  const unpin = useCallback(() => controller.current?.unpin('close'), []);

  useEffect(() => {
    controller.current?.resize(width, height);
  }, [width, height]);

  useEffect(() => {
    controller.current?.update({ data, timeRange, timeZone, options, theme, onChangeTimeRange, eventBus, sync });
  }, [data, timeRange, timeZone, options, theme, onChangeTimeRange, eventBus, sync]);

  return (
    <>
      <div
        ref={root}
        className={styles.chart}
        style={{ width, height }}
        data-testid="panecast-chart"
        // Focusable, as Grafana's charts are: arrows move the cursor by a window, Enter pins the
        // tooltip there, Escape unpins it.
        tabIndex={0}
        aria-label="Chart. Left and right arrows move between windows; Enter pins the tooltip, Escape closes it."
      />
      <Tooltip
        hovers={hovers}
        options={options.tooltip}
        timeZone={timeZone}
        windowStyle={options.windowStyle}
        markCorrections={options.markCorrections}
        width={width}
        height={height}
        onClose={unpin}
      />
    </>
  );
});

// The few rules of uPlot's stylesheet the chart needs, scoped here: Grafana ships the sheet
// but a plugin must not rely on that, and importing it would add a global stylesheet.
const getStyles = (theme: GrafanaTheme2) => ({
  chart: css({
    position: 'relative',
    overflow: 'hidden',
    '.uplot, .uplot *': { boxSizing: 'border-box' },
    '.uplot': { lineHeight: 1.5, width: 'min-content', fontFamily: theme.typography.fontFamily },
    '.u-wrap': { position: 'relative', userSelect: 'none' },
    '.u-over, .u-under': { position: 'absolute' },
    '.u-under': { overflow: 'hidden' },
    '.uplot canvas': { display: 'block', position: 'relative', width: '100%', height: '100%' },
    '.u-axis': { position: 'absolute' },
    '.u-cursor-x, .u-cursor-y': {
      position: 'absolute',
      left: 0,
      top: 0,
      pointerEvents: 'none',
      willChange: 'transform',
    },
    '.u-hz .u-cursor-x': { height: '100%', borderRight: `1px dashed ${theme.colors.text.disabled}` },
    '.u-cursor-x.u-off, .u-cursor-y.u-off, .u-select.u-off': { display: 'none' },
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.border}`, outlineOffset: -2 },
    '.u-select': { position: 'absolute', pointerEvents: 'none', background: theme.colors.action.selected },
  }),
});
