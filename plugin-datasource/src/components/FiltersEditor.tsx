import React, { useCallback, type ReactNode } from 'react';
import { Button, Combobox, IconButton, InlineField, MultiCombobox, Stack, type ComboboxOption } from '@grafana/ui';

import type { QueryProblem } from '../query-model';
import type { QueryFilter } from '../types';
import { problemText } from './problems';
import { picked } from './picked';

interface Props {
  filters: QueryFilter[];
  /** The metric's declared dimensions (empty while the metric is unknown or a variable). */
  dimensions: readonly string[];
  variables: string[];
  problems: QueryProblem[];
  /** Values seen recently for a dimension (GET /v1/dimensions). */
  loadValues(dimension: string): Promise<string[]>;
  onChange(filters: QueryFilter[]): void;
}

const toOptions = (values: readonly string[], description?: string): Array<ComboboxOption<string>> =>
  values.map((value) => ({ value, ...(description !== undefined ? { description } : {}) }));

function FilterRow({ index, filter, dimensions, variables, loadValues, onChange, onRemove }: {
  index: number;
  filter: QueryFilter;
  dimensions: readonly string[];
  variables: string[];
  loadValues(dimension: string): Promise<string[]>;
  onChange(filter: QueryFilter): void;
  onRemove(): void;
}) {
  // Loaded when the menu opens, filtered by what is typed; variables are always offered.
  const valueOptions = useCallback(
    async (typed: string): Promise<Array<ComboboxOption<string>>> => {
      const seen = filter.dimension === '' ? [] : await loadValues(filter.dimension).catch(() => []);
      const all = [...toOptions(seen), ...toOptions(variables, 'Dashboard variable')];
      const needle = typed.toLowerCase();
      return needle === '' ? all : all.filter((o) => o.value.toLowerCase().includes(needle));
    },
    [filter.dimension, loadValues, variables],
  );
  const dimensionOptions = toOptions(dimensions.includes(filter.dimension) || filter.dimension === '' ? dimensions : [filter.dimension, ...dimensions]);
  return (
    <Stack direction="row" gap={1} alignItems="center">
      <Combobox<string>
        id={`panecast-filter-dimension-${index}`}
        aria-label={`Filter ${index + 1} dimension`}
        data-testid={`panecast-filter-dimension-${index}`}
        width={20}
        createCustomValue
        placeholder="dimension"
        options={[...dimensionOptions, ...toOptions(variables, 'Dashboard variable')]}
        value={filter.dimension === '' ? null : filter.dimension}
        onChange={picked((dimension) => onChange({ dimension, values: dimension === filter.dimension ? filter.values : [] }))}
      />
      <MultiCombobox<string>
        id={`panecast-filter-values-${index}`}
        aria-label={`Filter ${index + 1} values`}
        data-testid={`panecast-filter-values-${index}`}
        width="auto"
        minWidth={24}
        createCustomValue
        placeholder="values"
        options={valueOptions}
        value={filter.values}
        onChange={(options) => onChange({ ...filter, values: options.map((o) => o.value) })}
      />
      <IconButton name="trash-alt" tooltip="Remove this filter" aria-label={`Remove filter ${index + 1}`} onClick={onRemove} />
    </Stack>
  );
}

/** InlineField hands `invalid` and friends to its child; this child takes none of them to the DOM. */
function Rows({ children }: { children: ReactNode }) {
  return (
    <Stack direction="column" gap={0.5}>
      {children}
    </Stack>
  );
}

/** Filters: each a dimension and the values accepted (any of them); all filters must hold. */
export function FiltersEditor({ filters, dimensions, variables, problems, loadValues, onChange }: Props) {
  const error = problemText(problems, 'filters');
  const used = new Set(filters.map((f) => f.dimension));
  return (
    <InlineField label="Filters" labelWidth={12} invalid={error !== undefined} error={error} tooltip="Series whose dimension has one of the values">
      <Rows>
        {filters.map((filter, index) => (
          <FilterRow
            key={index}
            index={index}
            filter={filter}
            dimensions={dimensions.filter((d) => d === filter.dimension || !used.has(d))}
            variables={variables}
            loadValues={loadValues}
            onChange={(next) => onChange(filters.map((f, i) => (i === index ? next : f)))}
            onRemove={() => onChange(filters.filter((_, i) => i !== index))}
          />
        ))}
        <div>
          <Button variant="secondary" size="sm" icon="plus" onClick={() => onChange([...filters, { dimension: '', values: [] }])}>
            Filter
          </Button>
        </div>
      </Rows>
    </InlineField>
  );
}
