/**
 * The query variable's editor: the kind (metrics / dimension values), then a metric and one of its
 * declared dimensions from the catalogue. It writes the text metricFindQuery reads, `metrics()` or
 * `dimensions(metric, dimension)`, as both query and definition: the format saved and provisioned
 * dashboards already hold, so they open here unchanged.
 *
 * Registered with setVariableQueryEditor (Grafana's legacy variable editor): @grafana/data 13
 * prefers `variables = new CustomVariableSupport(...)`, but that stores the query as an object
 * (`{ refId, query }`) and runs it through `variables.query`, changing the saved format.
 */
import React, { useEffect, useState } from 'react';
import { Combobox, InlineField, RadioButtonGroup, Stack, Text, type ComboboxOption } from '@grafana/ui';

import type { DataSource } from '../datasource';
import type { MetricCatalogue } from '../types';
import { interpolateText, parseFindQuery, variableOptions } from '../variables';
import { picked } from './picked';

type Kind = 'metrics' | 'dimensions';

/** What Grafana passes a legacy variable query editor (TemplateSrv too, unused: variables.ts asks the runtime). */
export interface VariableQueryEditorProps {
  datasource: DataSource;
  query: string;
  onChange: (query: string, definition: string) => void;
}

const KINDS: Array<{ label: string; value: Kind; description: string }> = [
  { label: 'Metrics', value: 'metrics', description: 'metrics()' },
  { label: 'Dimension values', value: 'dimensions', description: 'dimensions(metric, dimension)' },
];

function asVariables(names: string[]): Array<ComboboxOption<string>> {
  return names.map((v) => ({ value: v, description: 'Dashboard variable' }));
}

export function VariableQueryEditor({ datasource, query, onChange }: VariableQueryEditorProps) {
  // Read as written (variables not replaced), so `dimensions($metric, region)` shows `$metric`.
  const parsed = parseFindQuery(query);
  const [kind, setKind] = useState<Kind | undefined>(parsed?.kind);
  const [metric, setMetric] = useState(parsed?.kind === 'dimensions' ? parsed.metric : '');
  const [dimension, setDimension] = useState(parsed?.kind === 'dimensions' ? parsed.dimension : '');
  const [catalogue, setCatalogue] = useState<MetricCatalogue>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let live = true;
    datasource
      .getCatalogue()
      .then((loaded) => live && setCatalogue(loaded))
      .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [datasource]);

  const write = (text: string) => onChange(text, text);
  // A metric chosen through a variable offers the dimensions of the metric it stands for now.
  const declared = catalogue?.metrics.find((m) => m.name === interpolateText(metric))?.dimensions ?? [];
  const variables = variableOptions();

  const onKind = (next: Kind) => {
    setKind(next);
    if (next === 'metrics') {
      write('metrics()');
    } else if (metric !== '' && dimension !== '') {
      write(`dimensions(${metric}, ${dimension})`);
    }
  };
  const onMetric = (next: string) => {
    setMetric(next);
    const nextDeclared = catalogue?.metrics.find((m) => m.name === interpolateText(next))?.dimensions;
    // Keep the dimension when the new metric declares it (or is not known yet); otherwise choose again.
    const keep = dimension !== '' && (nextDeclared === undefined || nextDeclared.includes(dimension) || dimension.startsWith('$'));
    setDimension(keep ? dimension : '');
    if (keep) {
      write(`dimensions(${next}, ${dimension})`);
    }
  };
  const onDimension = (next: string) => {
    setDimension(next);
    if (metric !== '') {
      write(`dimensions(${metric}, ${next})`);
    }
  };

  return (
    <Stack direction="column" gap={1}>
      <InlineField label="Query" labelWidth={14}>
        <RadioButtonGroup<Kind> data-testid="panecast-variable-kind" options={KINDS} value={kind} onChange={onKind} />
      </InlineField>
      {kind === 'dimensions' && (
        <Stack gap={0}>
          <InlineField label="Metric" labelWidth={14}>
            <Combobox<string>
              id="panecast-variable-metric"
              width={28}
              createCustomValue
              placeholder="Choose a metric"
              options={[...(catalogue?.metrics ?? []).map((m) => ({ value: m.name, description: m.description })), ...asVariables(variables)]}
              value={metric === '' ? null : metric}
              onChange={picked(onMetric)}
            />
          </InlineField>
          <InlineField label="Dimension" labelWidth={12}>
            <Combobox<string>
              id="panecast-variable-dimension"
              width={24}
              createCustomValue
              placeholder={metric === '' ? 'choose a metric first' : 'Choose a dimension'}
              options={[...declared.map((d) => ({ value: d })), ...asVariables(variables)]}
              value={dimension === '' ? null : dimension}
              onChange={picked(onDimension)}
            />
          </InlineField>
        </Stack>
      )}
      {kind === undefined && query.trim() !== '' && (
        <Text color="warning" data-testid="panecast-variable-unknown">{`"${query}" is not metrics() or dimensions(metric, dimension): choose a kind`}</Text>
      )}
      {error !== undefined && (
        <Text color="error" data-testid="panecast-variable-error">{`The metric catalogue did not load: ${error}`}</Text>
      )}
    </Stack>
  );
}
