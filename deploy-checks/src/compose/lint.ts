/**
 * Compose specification schema and best-practice rules through dclint (a
 * maintained Docker Compose linter that ships the compose-spec JSON schema
 * and validates against it with ajv). Style rules (key and service ordering)
 * are off: they say nothing about whether the demo comes up.
 */
import { DCLinter } from 'dclint';
import { IssueList } from '../issues';

const RULES: Record<string, 0 | 2 | [2, Record<string, unknown>]> = {
  'no-build-and-image': 2,
  'no-duplicate-container-names': 2,
  'no-duplicate-exported-ports': 2,
  'no-quotes-in-volumes': 2,
  // Published ports bind to loopback: a demo should not open Kafka to the network.
  'no-unbound-port-interfaces': 2,
  'no-version-field': 2,
  'require-project-name-field': 2,
  'require-quotes-in-ports': [2, { quoteType: 'double' }],
  'service-image-require-explicit-tag': 2,
  'service-container-name-regex': 2,
  'service-dependencies-alphabetical-order': 0,
  'service-keys-order': 0,
  'service-ports-alphabetical-order': 0,
  'services-alphabetical-order': 0,
  'top-level-properties-order': 0,
};

/** Schema errors as `compose-schema`, rule violations as `compose-lint`; `path` is the file on disk. */
export function lintCompose(path: string, issues: IssueList): void {
  const linter = new DCLinter({ rules: RULES, quiet: true, debug: false, exclude: [] });
  for (const result of linter.lintFiles([path], false)) {
    for (const message of result.messages) {
      const schema = message.rule === 'invalid-schema' || message.rule === 'invalid-yaml';
      issues.add(schema ? 'compose-schema' : 'compose-lint', `line ${message.line}`, `${message.rule}: ${message.message}`);
    }
  }
}
