/**
 * A throw-away copy of the repository for negative tests: every entry is a
 * symlink to the real one until a test edits a file, which then becomes a
 * real file along with its parent folders (their other entries stay links).
 * The real repository is never written.
 */
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/repo';

export interface RepoCopy {
  readonly root: string;
  /** Rewrites a repo-relative file through `change`; throws when the change altered nothing. */
  edit(file: string, change: (text: string) => string): void;
  /** Rewrites a JSON file through `change`, which mutates the parsed value (loosely typed: tests reach deep into dashboards). */
  editJson(file: string, change: (json: any) => void): void;
  remove(file: string): void;
  dispose(): void;
}

function linkChildren(real: string, copy: string): void {
  for (const entry of readdirSync(real)) {
    symlinkSync(join(real, entry), join(copy, entry));
  }
}

export function repoCopy(): RepoCopy {
  const root = mkdtempSync(join(tmpdir(), 'panecast-deploy-checks-'));
  linkChildren(REPO_ROOT, root);
  // Replace each linked folder on the way to `file` by a real folder of links.
  const materialize = (file: string): string => {
    const parts = file.split('/');
    for (let i = 1; i < parts.length; i++) {
      const relative = parts.slice(0, i).join('/');
      const path = join(root, relative);
      if (lstatSync(path).isSymbolicLink()) {
        unlinkSync(path);
        mkdirSync(path);
        linkChildren(join(REPO_ROOT, relative), path);
      }
    }
    return join(root, file);
  };
  const edit = (file: string, change: (text: string) => string) => {
    const path = materialize(file);
    const before = readFileSync(path, 'utf8');
    const after = change(before);
    if (after === before) {
      throw new Error(`the edit of ${file} changed nothing: the test no longer breaks what it means to`);
    }
    unlinkSync(path);
    writeFileSync(path, after);
  };
  return {
    root,
    edit,
    editJson: (file, change) =>
      edit(file, (text) => {
        const json: unknown = JSON.parse(text);
        change(json);
        return `${JSON.stringify(json, null, 2)}\n`;
      }),
    remove: (file) => unlinkSync(materialize(file)),
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A text replacement that must match exactly once, so a test cannot silently stop breaking anything. */
export function replaceOnce(search: string | RegExp, replacement: string): (text: string) => string {
  return (text) => {
    const count = typeof search === 'string' ? text.split(search).length - 1 : (text.match(new RegExp(search.source, `${search.flags.replace('g', '')}g`)) ?? []).length;
    if (count !== 1) {
      throw new Error(`expected exactly one match of ${String(search)}, found ${count}`);
    }
    return text.replace(search, replacement);
  };
}
