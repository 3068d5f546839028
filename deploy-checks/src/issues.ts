/**
 * What every check returns: a list of issues, each with a stable `check`
 * code (tests match on it, not on the text), the repo-relative file and a
 * path inside it. An empty list means the files are fine.
 */

export type CheckCode =
  // provisioning/
  | 'parse'
  | 'required'
  | 'unique'
  | 'datasource'
  | 'panel-type'
  | 'schema-version'
  | 'grid'
  | 'metric'
  | 'aggregate'
  | 'dimension'
  | 'window'
  | 'variable'
  | 'query-field'
  | 'query-rules'
  | 'metricsql'
  | 'provider'
  // provisioning/victoriametrics/scrape.yml, and its use in docker-compose.yml
  | 'scrape'
  // provisioning/alerts/*.yml (Prometheus rule files)
  | 'alert-rules'
  // docker-compose.yml
  | 'compose-schema'
  | 'compose-lint'
  | 'image-pin'
  | 'mount'
  | 'backend-env'
  | 'healthcheck'
  | 'depends-on'
  | 'port-comment'
  | 'grafana'
  | 'credentials'
  // Dockerfile, .dockerignore
  | 'dockerfile';

export interface Issue {
  readonly check: CheckCode;
  /** Repo-relative path of the file. */
  readonly file: string;
  /** Where in the file, e.g. `panels[2].targets[0].metric` or `services.backend.image`. */
  readonly at: string;
  readonly message: string;
}

/** Accumulates the issues of one file. */
export class IssueList {
  readonly items: Issue[] = [];

  constructor(readonly file: string) {}

  add(check: CheckCode, at: string, message: string): void {
    this.items.push({ check, file: this.file, at, message });
  }
}

export function formatIssues(issues: readonly Issue[]): string {
  return issues.map((issue) => `${issue.file}: ${issue.at}: [${issue.check}] ${issue.message}`).join('\n');
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
