/**
 * The backend's Node flags are written once, in backend/node-flags.json (it
 * says why each is there); the Dockerfile's CMD and the backend package's
 * `start` script repeat them because neither can read JSON. These checks keep
 * the copies equal, so the image runs the backend the way the benchmarks
 * measured it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IssueList, isRecord, type Issue } from '../issues';
import { PATHS } from '../repo';

function declaredFlags(root: string, issues: IssueList): string[] | undefined {
  const file = join(root, PATHS.backendNodeFlags);
  if (!existsSync(file)) {
    issues.add('node-flags', 'flags', 'is missing');
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    issues.add('node-flags', 'flags', `is not JSON: ${(error as Error).message}`);
    return undefined;
  }
  const flags = isRecord(parsed) ? parsed.flags : undefined;
  if (!Array.isArray(flags) || !flags.every((flag): flag is string => typeof flag === 'string' && flag.startsWith('--'))) {
    issues.add('node-flags', 'flags', 'must be a list of Node options, each starting with --');
    return undefined;
  }
  return flags;
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((flag, i) => flag === b[i]);

/** `cmdFlags`: the flags of the backend stage's CMD (undefined when the CMD is not `node … <file>`, reported elsewhere). */
export function checkNodeFlags(root: string, cmdFlags: readonly string[] | undefined): Issue[] {
  const flagFile = new IssueList(PATHS.backendNodeFlags);
  const flags = declaredFlags(root, flagFile);
  if (flags === undefined) {
    return flagFile.items;
  }
  const dockerfile = new IssueList(PATHS.dockerfile);
  if (cmdFlags !== undefined && !same(cmdFlags, flags)) {
    dockerfile.add('node-flags', 'stage backend CMD', `runs node with [${cmdFlags.join(' ')}], ${PATHS.backendNodeFlags} says [${flags.join(' ')}]`);
  }
  const pkg = new IssueList(PATHS.backendPackageJson);
  const manifest: unknown = JSON.parse(readFileSync(join(root, PATHS.backendPackageJson), 'utf8'));
  const scripts = isRecord(manifest) && isRecord(manifest.scripts) ? manifest.scripts : {};
  const start = typeof scripts.start === 'string' ? scripts.start : '';
  const expected = ['node', ...flags, 'dist/main.js'].join(' ');
  if (start !== expected) {
    pkg.add('node-flags', 'scripts.start', `is "${start}", expected "${expected}"`);
  }
  return [...flagFile.items, ...dockerfile.items, ...pkg.items];
}
