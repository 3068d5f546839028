import { PanecastRequestError } from '../api';
import { isTransient } from './history-retry';

describe('isTransient', () => {
  const error = (code: string, status?: number) => new PanecastRequestError(code, 'x', status);

  it('retries no answer, 5xx, 408 and 429', () => {
    expect(isTransient(error('PANECAST_ERR_CLIENT_UNREACHABLE'))).toBe(true);
    expect(isTransient(error('PANECAST_ERR_CLIENT_UNREACHABLE', 502))).toBe(true);
    expect(isTransient(error('PANECAST_ERR_HISTORY_UNAVAILABLE', 503))).toBe(true);
    expect(isTransient(error('PANECAST_ERR_CLIENT_HTTP', 500))).toBe(true);
    expect(isTransient(error('PANECAST_ERR_BUSY', 429))).toBe(true);
    expect(isTransient(error('PANECAST_ERR_CLIENT_HTTP', 408))).toBe(true);
  });

  it('does not retry a refused key, an invalid query or a configuration problem', () => {
    expect(isTransient(error('PANECAST_ERR_CLIENT_AUTH', 400))).toBe(false);
    expect(isTransient(error('PANECAST_ERR_QUERY_INVALID', 400))).toBe(false);
    expect(isTransient(error('PANECAST_ERR_QUERY_UNKNOWN_METRIC', 404))).toBe(false);
    expect(isTransient(error('PANECAST_ERR_CLIENT_NO_URL'))).toBe(false);
  });
});
