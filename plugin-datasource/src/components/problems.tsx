import React, { type ReactNode } from 'react';

import type { ProblemField, QueryProblem } from '../query-model';

/** data-testid of the inline explanation beside a field, e.g. `panecast-query-error-window-slide`. */
export function problemTestId(field: ProblemField): string {
  return `panecast-query-error-${field.replace('.', '-')}`;
}

/**
 * The explanation InlineField shows under a field, or undefined when the field is fine. Several
 * problems of one field are joined; the code is kept as a data attribute for tests and support.
 */
export function problemText(problems: readonly QueryProblem[], field: ProblemField): ReactNode | undefined {
  const mine = problems.filter((p) => p.field === field);
  if (mine.length === 0) {
    return undefined;
  }
  return (
    <span data-testid={problemTestId(field)} data-code={mine[0]!.code}>
      {mine.map((p) => p.message).join('; ')}
    </span>
  );
}
