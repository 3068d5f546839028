import { picked } from './picked';

describe('picked', () => {
  it('hands on the option\u2019s value', () => {
    const use = jest.fn();
    picked<string>(use)({ value: 'events', label: 'events' });
    expect(use).toHaveBeenCalledWith('events');
  });

  it('ignores a change without an option, as Combobox sends for Enter on a typed value', () => {
    const use = jest.fn();
    expect(() => picked<string>(use)(undefined)).not.toThrow();
    expect(() => picked<string>(use)(null)).not.toThrow();
    expect(use).not.toHaveBeenCalled();
  });
});
