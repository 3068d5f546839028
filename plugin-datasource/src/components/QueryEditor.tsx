import React, { useCallback, useEffect, useMemo, useState } from 'react';
import { QueryEditorProps } from '@grafana/data';
import { Alert, Combobox, InlineField, InlineSwitch, Input, MultiCombobox, Stack, Text, type ComboboxOption } from '@grafana/ui';
import { AGGREGATES, maxLiveWindowOf } from '@panecast/protocol';

import type { DataSource } from '../datasource';
import { aggregatesOf, hasVariable, historyOnlyHint, validateQuery } from '../query-model';
import { DEFAULT_QUERY, type MetricCatalogue, type PanecastOptions, type PanecastQuery } from '../types';
import { variableOptions } from '../variables';
import { FiltersEditor } from './FiltersEditor';
import { problemText } from './problems';
import { WindowEditor } from './WindowEditor';

type Props = QueryEditorProps<DataSource, PanecastQuery, PanecastOptions>;

/** The option that stands for quantile(q); the q is typed beside it. */
const QUANTILE = 'quantile(q)';
const QUANTILE_CALL = /^quantile\(\s*(.*?)\s*\)$/;

function useCatalogue(datasource: DataSource): { catalogue?: MetricCatalogue; error?: string } {
  const [state, setState] = useState<{ catalogue?: MetricCatalogue; error?: string }>({});
  useEffect(() => {
    let live = true;
    datasource
      .getCatalogue()
      .then((catalogue) => live && setState({ catalogue }))
      .catch((error: unknown) => live && setState({ error: error instanceof Error ? error.message : String(error) }));
    return () => {
      live = false;
    };
  }, [datasource]);
  return state;
}

/**
 * Metric, aggregate, window, group by, filters, live, legend. Choices come from the backend's
 * catalogue (only what the metric serves and declares); anything the engine would refuse is
 * explained beside its field, and such a query is not run.
 */
export function QueryEditor({ datasource, query: rawQuery, onChange, onRunQuery }: Props) {
  const query = useMemo(() => ({ ...DEFAULT_QUERY, ...rawQuery }) as PanecastQuery, [rawQuery]);
  const { catalogue, error: catalogueError } = useCatalogue(datasource);
  const variables = useMemo(() => variableOptions(), []);
  const problems = useMemo(() => validateQuery(query, catalogue), [query, catalogue]);
  const metric = catalogue?.metrics.find((m) => m.name === query.metric);
  const paneMs = catalogue?.paneMs ?? 1000;
  const quantileMatch = QUANTILE_CALL.exec(query.aggregate);
  const [q, setQ] = useState(quantileMatch?.[1] ?? '0.999');
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
    // Keep what the new metric can serve; drop dimensions it does not declare.
    const served = aggregatesOf(chosen);
    const keepAggregate = served.includes(query.aggregate) || (quantileMatch !== null && served.includes(QUANTILE));
    change({
      ...query,
      metric: name,
      aggregate: keepAggregate ? query.aggregate : 'count',
      groupBy: (query.groupBy ?? []).filter((d) => hasVariable(d) || chosen.dimensions.includes(d)),
      filters: (query.filters ?? []).filter((f) => hasVariable(f.dimension) || f.dimension === '' || chosen.dimensions.includes(f.dimension)),
    });
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
          {catalogueError}
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
            onChange={(option) => onMetric(option.value)}
          />
        </InlineField>
        <InlineField label="Aggregate" invalid={problemText(problems, 'aggregate') !== undefined} error={problemText(problems, 'aggregate')}>
          <Combobox<string>
            id="panecast-aggregate"
            data-testid="panecast-aggregate"
            width={18}
            options={aggregateOptions}
            value={aggregateValue}
            onChange={(option) => change({ ...query, aggregate: option.value === QUANTILE ? `quantile(${q})` : option.value })}
          />
        </InlineField>
        {quantileMatch !== null && (
          <InlineField label="q" tooltip="The quantile, from 0 to 1 (0.999 is the 99.9th percentile)">
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
            defaultValue={query.legendFormat ?? ''}
            onBlur={(event) => change({ ...query, legendFormat: event.currentTarget.value })}
          />
        </InlineField>
      </Stack>
      {historyOnly !== undefined && (
        // A note, not an error: the query runs, from history only.
        <Text element="p" variant="bodySmall" color="secondary" italic data-testid="panecast-history-only">
          {historyOnly}
        </Text>
      )}
    </Stack>
  );
}
