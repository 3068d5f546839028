import React from 'react';
import { Combobox, InlineField, RadioButtonGroup, type ComboboxOption } from '@grafana/ui';

import { formatDuration, liveServes, parseDuration, sizeChoices, slideChoices, type QueryProblem } from '../query-model';
import type { PanecastQuery, WindowType } from '../types';
import { problemText } from './problems';
import { picked } from './picked';

interface Props {
  window: PanecastQuery['window'];
  paneMs: number;
  variables: string[];
  problems: QueryProblem[];
  /** Live is on: sizes the live channel does not serve are labelled history only. */
  live: boolean;
  /** The live channel's longest window (the catalogue's maxLiveWindowMs). */
  maxLiveWindowMs: number;
  onChange(window: PanecastQuery['window']): void;
}

const TYPES: Array<{ label: string; value: WindowType; description: string }> = [
  { label: 'Tumbling', value: 'tumbling', description: 'Back-to-back windows of the size' },
  { label: 'Sliding', value: 'sliding', description: 'Windows of the size, one starting every slide' },
];

function durationOptions(choices: number[], variables: string[], current: string | undefined, maxLiveWindowMs?: number): Array<ComboboxOption<string>> {
  const options: Array<ComboboxOption<string>> = choices.map((ms) => ({
    value: formatDuration(ms),
    ...(maxLiveWindowMs !== undefined && !liveServes(ms, maxLiveWindowMs) ? { description: 'History only (no live updates)' } : {}),
  }));
  options.push(...variables.map((v) => ({ value: v, description: 'Dashboard variable' })));
  // A custom value typed earlier stays selectable (and is explained if the engine cannot compose it).
  if (current !== undefined && current !== '' && !options.some((o) => o.value === current)) {
    options.unshift({ value: current });
  }
  return options;
}

/** Window type, size and slide; the pickers offer only what the engine can compose from its panes. */
export function WindowEditor({ window, paneMs, variables, problems, live, maxLiveWindowMs, onChange }: Props) {
  const sizeMs = parseDuration(window.size);
  const sizeError = problemText(problems, 'window.size');
  const slideError = problemText(problems, 'window.slide');

  // A tumbling window keeps the slide it had (the query ignores it while tumbling), so switching to
  // tumbling and back to sliding restores it instead of falling back to one pane.
  const onType = (type: WindowType) => {
    onChange(type === 'tumbling' ? { ...window, type } : { ...window, type, slide: window.slide ?? formatDuration(paneMs) });
  };

  return (
    <>
      <InlineField label="Window" labelWidth={12} tooltip="Windows are composed from the engine's panes at read time">
        <RadioButtonGroup<WindowType> options={TYPES} value={window.type} onChange={onType} size="md" />
      </InlineField>
      <InlineField label="Size" invalid={sizeError !== undefined} error={sizeError} tooltip={`A multiple of the pane (${formatDuration(paneMs)})`}>
        <Combobox<string>
          id="panecast-window-size"
          data-testid="panecast-window-size"
          width={14}
          createCustomValue
          options={durationOptions(sizeChoices(paneMs), variables, window.size, live ? maxLiveWindowMs : undefined)}
          value={window.size}
          onChange={picked((size) => onChange({ ...window, size }))}
        />
      </InlineField>
      {window.type === 'sliding' && (
        <InlineField label="Slide" invalid={slideError !== undefined} error={slideError} tooltip="How often a window starts: a multiple of the pane, at most the size">
          <Combobox<string>
            id="panecast-window-slide"
            data-testid="panecast-window-slide"
            width={14}
            createCustomValue
            options={durationOptions(slideChoices(paneMs, sizeMs), variables, window.slide)}
            value={window.slide ?? ''}
            onChange={picked((slide) => onChange({ ...window, slide }))}
          />
        </InlineField>
      )}
    </>
  );
}
