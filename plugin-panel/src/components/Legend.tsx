import React from 'react';
import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';

import { type LegendItem } from '../data/legend';
import { type LegendPlacement } from '../types';
import { type Box, LEGEND_CELL_PX, LEGEND_ROW_PX } from './layout';
import { visuallyHidden } from './visuallyHidden';

interface Props {
  items: readonly LegendItem[];
  placement: LegendPlacement;
  box: Box;
  /** Count corrections (the panel option *Mark corrected points*): off, nothing marks them. */
  showCorrections: boolean;
}

/**
 * Each series with its current value; an open window's value is in italics, corrections are
 * counted. A list for screen readers, which also hear in words what the italics and the ↻
 * glyph show (the swatch colour alone says nothing to them).
 */
export function Legend({ items, placement, box, showCorrections }: Props) {
  const styles = useStyles2(getStyles);
  return (
    <div
      className={`${styles.legend} ${placement === 'right' ? styles.right : styles.bottom}`}
      style={{ width: box.width, height: box.height }}
      role="list"
      aria-label="Legend"
      data-testid="panecast-legend"
    >
      {items.map((item) => (
        <div
          key={item.key}
          className={styles.item}
          role="listitem"
          data-testid="panecast-legend-item"
          data-series={item.name}
          data-final={String(item.final)}
        >
          <span className={styles.swatch} style={{ background: item.color }} aria-hidden="true" />
          <span className={styles.name} title={item.name}>
            {item.name}
          </span>
          {showCorrections && item.corrected > 0 && (
            <span className={styles.corrected} title={`${correctedText(item.corrected)} (ringed on the chart)`}>
              <span aria-hidden="true" data-testid="panecast-corrected">
                ↻{item.corrected}
              </span>
              <span className={visuallyHidden}>{correctedText(item.corrected)}</span>
            </span>
          )}
          <span
            // Plain class names, not emotion's cx: cx serialises a merged style on every render.
            className={item.final ? styles.value : `${styles.value} ${styles.open}`}
            data-testid="panecast-legend-value"
            title={item.final ? 'final' : 'window in progress'}
          >
            {item.text}
          </span>
          {!item.final && item.text !== '' && <span className={visuallyHidden}>(window in progress)</span>}
        </div>
      ))}
    </div>
  );
}

function correctedText(count: number): string {
  return `${count} corrected point${count === 1 ? '' : 's'} in view`;
}

const getStyles = (theme: GrafanaTheme2) => ({
  legend: css({
    boxSizing: 'border-box',
    overflowY: 'auto',
    overflowX: 'hidden',
    fontSize: theme.typography.bodySmall.fontSize,
    padding: theme.spacing(0.5, 1),
  }),
  bottom: css({
    display: 'grid',
    gridTemplateColumns: `repeat(auto-fill, minmax(${LEGEND_CELL_PX - 16}px, 1fr))`,
    gridAutoRows: LEGEND_ROW_PX,
    columnGap: theme.spacing(2),
  }),
  right: css({
    display: 'flex',
    flexDirection: 'column',
  }),
  item: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(0.75),
    minWidth: 0,
    height: LEGEND_ROW_PX,
    flex: 'none',
  }),
  swatch: css({
    width: 14,
    height: 4,
    borderRadius: 2,
    flex: 'none',
  }),
  name: css({
    flex: '1 1 auto',
    minWidth: 0,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
    color: theme.colors.text.secondary,
  }),
  corrected: css({
    flex: 'none',
    color: theme.colors.warning.text,
  }),
  value: css({
    flex: 'none',
    fontVariantNumeric: 'tabular-nums',
    color: theme.colors.text.primary,
    fontWeight: theme.typography.fontWeightMedium,
  }),
  open: css({
    fontStyle: 'italic',
    color: theme.colors.text.secondary,
  }),
});
