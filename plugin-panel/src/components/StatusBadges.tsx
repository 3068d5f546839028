import React from 'react';
import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';

import { type ConnectionState } from '../types';
import { visuallyHidden } from './visuallyHidden';

const LABELS: Record<ConnectionState, string> = {
  connected: 'Live',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  disconnected: 'Disconnected',
  history: 'History',
};

function stateColor(theme: GrafanaTheme2, state: ConnectionState): string {
  switch (state) {
    case 'connected':
      return theme.colors.success.text;
    case 'disconnected':
      return theme.colors.error.text;
    case 'history':
      return theme.colors.text.secondary;
    default:
      return theme.colors.warning.text;
  }
}

interface Props {
  connection: ConnectionState;
  stale: boolean;
  staleAfterSeconds: number;
}

/**
 * Connection state and the stale badge, over the chart's top-right corner. The pair is one
 * polite live region, present from the first render: a screen reader hears "Reconnecting…" or
 * "Stale" when it happens, in words rather than only in the badge's colour.
 */
export function StatusBadges({ connection, stale, staleAfterSeconds }: Props) {
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  const staleText = `no update for ${staleAfterSeconds} s or more`;
  return (
    <div className={styles.badges} role="status">
      {stale && (
        <span
          className={styles.badge}
          style={{ color: theme.colors.warning.text }}
          data-testid="panecast-stale"
          title={`No update for ${staleAfterSeconds} s or more`}
        >
          Stale<span className={visuallyHidden}>: {staleText}. </span>
        </span>
      )}
      <span
        className={styles.badge}
        style={{ color: stateColor(theme, connection) }}
        data-testid="panecast-connection"
        data-state={connection}
      >
        <span className={styles.dot} aria-hidden="true" />
        <span className={visuallyHidden}>Connection: </span>
        {LABELS[connection]}
      </span>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  badges: css({
    position: 'absolute',
    top: theme.spacing(0.5),
    right: theme.spacing(1),
    display: 'flex',
    gap: theme.spacing(0.5),
    // The strip lets the chart's cursor through; the badges themselves take the pointer, so
    // their title (what "Stale" means) shows on hover.
    pointerEvents: 'none',
    zIndex: 1,
  }),
  badge: css({
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    padding: theme.spacing(0, 0.75),
    borderRadius: theme.shape.radius.pill,
    background: theme.colors.background.secondary,
    border: `1px solid ${theme.colors.border.weak}`,
    fontSize: theme.typography.bodySmall.fontSize,
    lineHeight: '18px',
    opacity: 0.9,
    pointerEvents: 'auto',
  }),
  dot: css({
    width: 6,
    height: 6,
    borderRadius: '50%',
    background: 'currentColor',
  }),
});
