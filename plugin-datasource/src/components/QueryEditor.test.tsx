import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';

import { QueryEditor } from './QueryEditor';
import { DataSource } from '../datasource';
import { MyQuery } from '../types';

function setup(query: MyQuery) {
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  render(<QueryEditor datasource={{} as DataSource} query={query} onChange={onChange} onRunQuery={onRunQuery} />);
  return { onChange, onRunQuery };
}

describe('QueryEditor', () => {
  it('renders the query text box and the constant input', () => {
    setup({ refId: 'A', constant: 6.5 });
    expect(screen.getByRole('textbox', { name: 'Query Text' })).toBeInTheDocument();
    expect(screen.getByRole('spinbutton')).toHaveValue(6.5);
  });

  it('changing the constant updates the query and runs it', () => {
    const { onChange, onRunQuery } = setup({ refId: 'A', constant: 6.5, queryText: 'q' });
    fireEvent.change(screen.getByRole('spinbutton'), { target: { value: '10' } });
    expect(onChange).toHaveBeenCalledWith({ refId: 'A', constant: 10, queryText: 'q' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('changing the query text updates the query without running it', () => {
    const { onChange, onRunQuery } = setup({ refId: 'A', constant: 1 });
    fireEvent.change(screen.getByRole('textbox', { name: 'Query Text' }), { target: { value: 'test query' } });
    expect(onChange).toHaveBeenCalledWith({ refId: 'A', constant: 1, queryText: 'test query' });
    expect(onRunQuery).not.toHaveBeenCalled();
  });
});
