import React, { useCallback, useEffect, useMemo, useState } from 'react';
import { QueryEditorProps } from '@grafana/data';
import { Alert, Button, Combobox, InlineField, InlineSwitch, Input, MultiCombobox, Stack, Text, type ComboboxOption } from '@grafana/ui';
import { AGGREGATES, maxLiveWindowOf } from '@panecast/protocol';

import type { DataSource } from '../datasource';
import { QUANTILE_CALL, aggregatesOf, historyOnlyHint, validateQuery } from '../query-model';
import { DEFAULT_QUERY, type MetricCatalogue, type PanecastOptions, type PanecastQuery } from '../types';
import { variableOptions } from '../variables';
import { FiltersEditor } from './FiltersEditor';
import { keepForMetric } from './metric-change';
import { problemText } from './problems';
import { WindowEditor } from './WindowEditor';
import { picked } from './picked';

type Props = QueryEditorProps<DataSource, PanecastQuery, PanecastOptions>;

/** The option that stands for quantile(q); the q is typed beside it. */
const QUANTILE = 'quantile(q)';

interface CatalogueState {
  catalogue?: MetricCatalogue;
  error?: string;
  /** Ask again (the backend was unreachable). */
  retry(): void;
}

/**
 * The datasource's catalogue, asked again when the query names a metric it lacks (getCatalogue
 * rechecks: the metric may be newer than the catalogue) and when the user retries after a failure.
 */
function useCatalogue(datasource: DataSource, metric: string): CatalogueState {
  const [state, setState] = useState<{ catalogue?: MetricCatalogue; error?: string }>({});
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    datasource
      .getCatalogue(metric)
      .then((catalogue) => live && setState({ catalogue }))
      .catch((error: unknown) => live && setState((previous) => ({ ...previous, error: error instanceof Error ? error.message : String(error) })));
    return () => {
      live = false;
    };
  }, [datasource, metric, attempt]);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  return { ...state, retry };
}

/**
 * Text edited in place and committed on blur, shown from the query: when the query's `value`
 * changes from outside (Explore's query history, a reverted edit) the field follows it, instead of
 * keeping, and writing back on the next blur, the text it was mounted with. An undefined value
 * (the q of an aggregate that is no quantile) leaves the draft for the next time it is shown.
 * Adjusted while rendering, React's pattern for state that follows a prop.
 */
function useDraft(value: string | undefined, initial: string): [string, (next: string) => void] {
  const [draft, setDraft] = useState(value ?? initial);
  const [followed, setFollowed] = useState(value);
  if (value !== followed) {
    setFollowed(value);
    if (value !== undefined) {
      setDraft(value);
    }
  }
  return [draft, setDraft];
}

/**
 * Metric, aggregate, window, group by, filters, live, legend. Choices come from the backend's
 * catalogue (only what the metric serves and declares); anything the engine would refuse is
 * explained beside its field, and such a query is not run.
 */
export function QueryEditor({ datasource, query: rawQuery, onChange, onRunQuery }: Props) {
  const query = useMemo(() => ({ ...DEFAULT_QUERY, ...rawQuery }) as PanecastQuery, [rawQuery]);
  const { catalogue, error: catalogueError, retry: retryCatalogue } = useCatalogue(datasource, query.metric ?? '');
  const variables = useMemo(() => variableOptions(), []);
  const problems = useMemo(() => validateQuery(query, catalogue), [query, catalogue]);
  const metric = catalogue?.metrics.find((m) => m.name === query.metric);
  const paneMs = catalogue?.paneMs ?? 1000;
  const quantileMatch = QUANTILE_CALL.exec(query.aggregate);
  const [q, setQ] = useDraft(quantileMatch?.[1], '0.999');
  const [legend, setLegend] = useDraft(query.legendFormat ?? '', '');
  /** What the last metric change dropped, shown while that metric stays chosen. */
  const [dropped, setDropped] = useState<{ metric: string; text: string }>();
  const maxLiveWindowMs = maxLiveWindowOf(catalogue);
  const historyOnly = historyOnlyHint(query, maxLiveWindowMs);

  const change = useCallback(
    (next: PanecastQuery, run = true) => {
      onChange(next);
      if (run && validateQuery(next, catalogue).length === 0) {
        onRunQuery();
      }
    },
    [catalogue, onChange, onRunQuery],
  );

  const onMetric = (name: string) => {
    const chosen = catalogue?.metrics.find((m) => m.name === name);
    if (chosen === undefined) {
      change({ ...query, metric: name });
      return;
    }
    // Keep what the new metric can serve; drop dimensions it does not declare, and say so.
    const { query: next, dropped: lost } = keepForMetric(query, chosen);
    setDropped(lost === undefined ? undefined : { metric: name, text: lost });
    change(next);
  };

  const metricOptions: Array<ComboboxOption<string>> = [
    ...(catalogue?.metrics ?? []).map((m) => ({ value: m.name, description: m.description })),
    ...variables.map((v) => ({ value: v, description: 'Dashboard variable' })),
  ];
  const served = metric !== undefined ? aggregatesOf(metric) : [...AGGREGATES, QUANTILE];
  const aggregateOptions: Array<ComboboxOption<string>> = [
    ...served.map((a) => ({ value: a, ...(a === QUANTILE ? { description: 'Any quantile: type q beside it' } : {}) })),
    ...variables.map((v) => ({ value: v, description: 'Dashboard variable' })),
  ];
  const aggregateValue = quantileMatch !== null ? QUANTILE : query.aggregate;
  const dimensions = metric?.dimensions ?? [];
  const loadValues = useCallback((dimension: string) => datasource.getDimensionValues(query.metric, dimension), [datasource, query.metric]);

  return (
    <Stack direction="column" gap={0.5}>
      {catalogueError !== undefined && (
        <Alert severity="warning" title="The metric catalogue could not be loaded" data-testid="panecast-catalogue-error">
          <Stack direction="column" gap={1} alignItems="flex-start">
            <span>{catalogueError}. Until it loads, metrics, aggregates and dimensions are not listed or checked here; the query still runs.</span>
            <Button size="sm" variant="secondary" icon="sync" onClick={retryCatalogue} data-testid="panecast-catalogue-retry">
              Retry
            </Button>
          </Stack>
        </Alert>
      )}
      <Stack direction="row" gap={0.5} wrap="wrap">
        <InlineField label="Metric" labelWidth={12} invalid={problemText(problems, 'metric') !== undefined} error={problemText(problems, 'metric')}>
          <Combobox<string>
            id="panecast-metric"
            data-testid="panecast-metric"
            width={28}
            createCustomValue
            placeholder="Choose a metric"
            options={metricOptions}
            value={query.metric === '' ? null : query.metric}
            onChange={picked((value) => onMetric(value))}
          />
        </InlineField>
        <InlineField label="Aggregate" invalid={problemText(problems, 'aggregate') !== undefined} error={problemText(problems, 'aggregate')}>
          <Combobox<string>
            id="panecast-aggregate"
            data-testid="panecast-aggregate"
            width={18}
            options={aggregateOptions}
            value={aggregateValue}
            onChange={picked((value) => change({ ...query, aggregate: value === QUANTILE ? `quantile(${q})` : value }))}
          />
        </InlineField>
        {quantileMatch !== null && (
          <InlineField
            label="q"
            tooltip="The quantile, from 0 to 1 (0.999 is the 99.9th percentile)"
            invalid={problemText(problems, 'quantile') !== undefined}
            error={problemText(problems, 'quantile')}
          >
            <Input
              id="panecast-quantile"
              data-testid="panecast-quantile"
              width={10}
              value={q}
              onChange={(event) => setQ(event.currentTarget.value)}
              onBlur={() => change({ ...query, aggregate: `quantile(${q.trim()})` })}
            />
          </InlineField>
        )}
      </Stack>
      <Stack direction="row" gap={0.5} wrap="wrap">
        <WindowEditor
          window={query.window}
          paneMs={paneMs}
          variables={variables}
          problems={problems}
          live={query.live !== false}
          maxLiveWindowMs={maxLiveWindowMs}
          onChange={(window) => change({ ...query, window })}
        />
      </Stack>
      <InlineField label="Group by" labelWidth={12} invalid={problemText(problems, 'groupBy') !== undefined} error={problemText(problems, 'groupBy')} tooltip="One series per distinct tuple of these dimensions">
        <MultiCombobox<string>
          id="panecast-group-by"
          data-testid="panecast-group-by"
          width="auto"
          minWidth={28}
          placeholder={dimensions.length === 0 && metric !== undefined ? 'this metric declares no dimensions' : 'dimensions'}
          options={[...dimensions.map((d) => ({ value: d })), ...variables.map((v) => ({ value: v, description: 'Dashboard variable' }))]}
          value={query.groupBy ?? []}
          onChange={(options) => change({ ...query, groupBy: options.map((o) => o.value) })}
        />
      </InlineField>
      <FiltersEditor
        filters={query.filters ?? []}
        dimensions={dimensions}
        variables={variables}
        problems={problems}
        loadValues={loadValues}
        onChange={(filters) => change({ ...query, filters })}
      />
      <Stack direction="row" gap={0.5} wrap="wrap">
        <InlineField label="Live" labelWidth={12} tooltip="Off: history only, for any past range">
          <InlineSwitch
            id="panecast-live"
            data-testid="panecast-live"
            value={query.live !== false}
            onChange={(event) => change({ ...query, live: event.currentTarget.checked })}
          />
        </InlineField>
        <InlineField label="Legend" tooltip="Series name, e.g. {{region}} / {{platform}}; default: the metric and the series' labels">
          <Input
            id="panecast-legend"
            data-testid="panecast-legend"
            width={32}
            placeholder="{{region}} / {{platform}}"
            value={legend}
            onChange={(event) => setLegend(event.currentTarget.value)}
            onBlur={() => legend !== (query.legendFormat ?? '') && change({ ...query, legendFormat: legend })}
          />
        </InlineField>
      </Stack>
      {dropped !== undefined && dropped.metric === query.metric && (
        // A note: the user chose the metric; what it cannot take left the query with it.
        <Text element="p" variant="bodySmall" color="secondary" italic data-testid="panecast-metric-dropped">
          {dropped.text}
        </Text>
      )}
      {historyOnly !== undefined && (
        // A note, not an error: the query runs, from history only.
        <Text element="p" variant="bodySmall" color="secondary" italic data-testid="panecast-history-only">
          {historyOnly}
        </Text>
      )}
    </Stack>
  );
}
