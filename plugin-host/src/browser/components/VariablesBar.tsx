/**
 * The dashboard's variables and their current values, read-only: the host
 * takes values from the URL (`?var-name=value`, Grafana's syntax) rather than
 * from pickers. Hidden variables (hide = 2) are not shown, as in Grafana.
 */
import React from 'react';
import type { HostVariable } from '../template-srv';

export function VariablesBar({ variables }: { variables: readonly HostVariable[] }) {
  const shown = variables.filter((variable) => variable.model.hide !== 2);
  if (shown.length === 0) {
    return null;
  }
  return (
    <div style={{ display: 'flex', gap: 16, flexWrap: 'wrap' }}>
      {shown.map((variable) => (
        <span key={variable.model.name} data-testid={`host-variable-${variable.model.name}`} title={variable.error}>
          {variable.model.label ?? variable.model.name}: <b>{[variable.current.text].flat().join(' + ')}</b>
          {variable.error !== undefined && <em style={{ color: '#f55' }}> ({variable.error})</em>}
        </span>
      ))}
    </div>
  );
}
