/**
 * A Combobox change handler that ignores a change without an option. @grafana/ui 13's Combobox,
 * with `createCustomValue`, can call onChange with `undefined` when a typed value is confirmed
 * with Enter while another option is first in the list (the typed value is then not applied:
 * "Use custom value" must be clicked). Read as an option, that threw a TypeError in the editor.
 */
import type { ComboboxOption } from '@grafana/ui';

export function picked<T extends string | number>(use: (value: T) => void): (option: ComboboxOption<T> | null | undefined) => void {
  return (option) => {
    if (option !== null && option !== undefined) {
      use(option.value);
    }
  };
}
