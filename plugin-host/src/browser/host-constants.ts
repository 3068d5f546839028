/** The Grafana version whose packages the host bundles (the plugins' @grafana/* 13.2.3). */
export const GRAFANA_VERSION = '13.2.3';

/** Grafana's default panel time range and the one the brief asks the host to show. */
export const DEFAULT_TIME = { from: 'now-5m', to: 'now' } as const;

/** Grafana waits this long for a first answer before showing a panel as loading (runRequest). */
export const LOADING_DELAY_MS = 200;
