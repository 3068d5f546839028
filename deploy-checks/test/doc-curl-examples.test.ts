/**
 * The curl examples of README.md and docs/*.md post events a reader sees counted: an event `ts` written as a
 * fixed epoch-ms literal is accepted (202) today and, a minute later, too late for any window
 * (counted in `processor.tooLate`, drawn nowhere). Stamp examples from the clock instead
 * (`$(( $(date +%s) * 1000 ))`) or leave `ts` out.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../src/repo';

const DOCS = join(REPO_ROOT, 'docs');
// `"ts":1764300000000` or `\"ts\":1764300000000` inside a shell block.
const FIXED_TS = /\\?"ts\\?"\s*:\s*\d{10,}/;

const documents = [
  join(REPO_ROOT, 'README.md'),
  ...readdirSync(DOCS)
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(DOCS, name)),
];
const shellBlocks = documents.flatMap((path) =>
  [...readFileSync(path, 'utf8').matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)].map((match) => [path.slice(REPO_ROOT.length + 1), match[1] as string] as const),
);

describe('curl examples in README.md and docs/', () => {
  it('exist', () => {
    expect(shellBlocks.some(([, block]) => block.includes('curl'))).toBe(true);
  });

  it.each(shellBlocks.filter(([, block]) => block.includes('/v1/events')))('%s: no event ts fixed in the past', (_name, block) => {
    expect(block).not.toMatch(FIXED_TS);
  });
});
