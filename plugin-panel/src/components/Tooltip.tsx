import React, { memo, useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { css, cx } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { type TimeZone, TooltipDisplayMode } from '@grafana/schema';
import { IconButton, VizTooltipContent, VizTooltipHeader, VizTooltipRow, VizTooltipWrapper, useStyles2 } from '@grafana/ui';

import { type TooltipContent, type TooltipRow, sameContent, tooltipContent } from '../data/tooltip';
import { type Hover, type HoverChannel } from '../render/hover';
import { type TooltipOptions, type WindowStyle } from '../types';
import { placeTooltip } from './layout';

interface Props {
  hovers: HoverChannel;
  options: TooltipOptions;
  timeZone: TimeZone;
  windowStyle: WindowStyle;
  markCorrections: boolean;
  /** The chart's size: the tooltip keeps inside it. */
  width: number;
  height: number;
  /** Unpins the tooltip (its close button). */
  onClose: () => void;
}

/** Height of the header and paddings, and of one row, px: how many rows fit the chart. */
const HEADER_PX = 44;
const ROW_PX = 20;

const STATE_WORDS: Record<TooltipRow['state'], string | undefined> = {
  final: undefined,
  open: 'in progress',
  corrected: 'corrected',
};

/**
 * Grafana's tooltip look (the VizTooltip parts its own time series panel renders), in a box of
 * the panel's own: @grafana/ui's positioning parts (TooltipPlugin2, VizTooltipContainer) need a
 * uPlotConfigBuilder or keep to the window, not the panel. Hovering, it never takes the pointer
 * (the drag-to-zoom goes through it), follows the cursor by a style write per animation frame,
 * and renders with React only when what it says changes. Pinned (a click on the chart, or Enter
 * on the focused chart), it stays where it was, takes the pointer (its text can be selected),
 * has a close button and a deeper shadow, as Grafana's pinned tooltip.
 */
export const Tooltip = memo(function Tooltip({
  hovers,
  options,
  timeZone,
  windowStyle,
  markCorrections,
  width,
  height,
  onClose,
}: Props) {
  const styles = useStyles2(getStyles);
  const [content, setContent] = useState<TooltipContent | undefined>(undefined);
  const [pinned, setPinned] = useState(false);
  const shownPinned = useRef(false);
  // What is rendered, compared outside React: a setState that returns the same state can
  // still cost a render pass.
  const shown = useRef<TooltipContent | undefined>(undefined);
  const box = useRef<HTMLDivElement>(null);
  // Read by the listener, which outlives renders: always the newest props.
  const latest = useRef({ options, timeZone, markCorrections, bounds: { width, height } });
  useLayoutEffect(() => {
    latest.current = { options, timeZone, markCorrections, bounds: { width, height } };
  }, [options, timeZone, markCorrections, width, height]);

  /** Moves the box next to the cursor: a style write, no render. */
  const place = useCallback(() => {
    const element = box.current;
    const hover = hovers.current();
    if (element === null || hover === undefined) {
      return;
    }
    const size = { width: element.offsetWidth, height: element.offsetHeight };
    const at = placeTooltip(hover, size, latest.current.bounds);
    element.style.transform = `translate(${Math.round(at.x)}px, ${Math.round(at.y)}px)`;
  }, [hovers]);

  const show = useCallback(
    (hover: Hover | undefined) => {
      const { options: tooltip, bounds: room, ...rest } = latest.current;
      const maxRows = Math.floor((room.height - HEADER_PX) / ROW_PX);
      const next = hover && tooltipContent(hover.model, hover.index, hover.yAxes ?? hover.yValue, { ...tooltip, ...rest, maxRows });
      const nextPinned = next !== undefined && hover?.pinned === true;
      if (nextPinned !== shownPinned.current) {
        shownPinned.current = nextPinned;
        setPinned(nextPinned);
      }
      // The same text (the cursor moved within one window): no render, only a new place.
      if (!sameContent(shown.current, next)) {
        shown.current = next;
        setContent(next);
      }
      place();
    },
    [place]
  );

  useEffect(() => hovers.listen(show), [hovers, show]);
  // New settings change what the tooltip says at the same place.
  useEffect(
    () => show(hovers.current()),
    [hovers, show, options.mode, options.sort, timeZone, markCorrections, height]
  );
  // New content changes the box's size: place it again before the browser paints.
  useLayoutEffect(() => place(), [place, content]);

  if (content === undefined) {
    return null;
  }
  return (
    <div
      ref={box}
      className={cx(styles.box, pinned && styles.pinned)}
      style={{ maxWidth: width, maxHeight: height }}
      data-testid="panecast-tooltip"
      data-pinned={pinned}
      // Grafana's tooltip is a polite live region: a pinned one reads its values as they change.
      aria-live="polite"
      aria-atomic="true"
    >
      {pinned && (
        <div className={styles.close}>
          <IconButton name="times" size="sm" aria-label="Close tooltip" onClick={onClose} data-testid="panecast-tooltip-close" />
        </div>
      )}
      <VizTooltipWrapper>
        <VizTooltipHeader item={{ label: '', value: content.time }} />
        <VizTooltipContent items={[]}>
          {content.rows.map((row) => {
            const words = STATE_WORDS[row.state];
            return (
              <div key={row.key} data-testid="panecast-tooltip-row" data-series={row.name} data-state={row.state}>
                <VizTooltipRow
                  label={row.name}
                  color={row.color}
                  // An open window's swatch is dashed like its line (not in the faded or solid styles).
                  lineStyle={row.state === 'open' && windowStyle === 'dashed' ? { fill: 'dash' } : undefined}
                  isActive={row.active && options.mode === TooltipDisplayMode.Multi}
                  value={
                    <>
                      {row.text}
                      {words !== undefined && <span className={styles.state}> ({words})</span>}
                    </>
                  }
                />
              </div>
            );
          })}
          {content.more > 0 && <div className={styles.more}>{`+${content.more} more`}</div>}
        </VizTooltipContent>
      </VizTooltipWrapper>
    </div>
  );
});

const getStyles = (theme: GrafanaTheme2) => ({
  box: css({
    position: 'absolute',
    top: 0,
    left: 0,
    zIndex: theme.zIndex.tooltip,
    // The drag-to-zoom and the cursor read the chart under the tooltip: it takes no events.
    pointerEvents: 'none',
    overflow: 'hidden',
    whiteSpace: 'nowrap',
    background: theme.colors.background.elevated,
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    boxShadow: theme.shadows.z2,
    color: theme.colors.text.primary,
  }),
  // Pinned: it takes the pointer (close button, text selection) and sits above the chart.
  pinned: css({
    pointerEvents: 'auto',
    userSelect: 'text',
    boxShadow: theme.shadows.z3,
  }),
  close: css({
    position: 'absolute',
    top: theme.spacing(0.5),
    right: theme.spacing(0.5),
    zIndex: 1,
  }),
  state: css({
    color: theme.colors.text.secondary,
    fontStyle: 'italic',
  }),
  more: css({
    color: theme.colors.text.secondary,
  }),
});
