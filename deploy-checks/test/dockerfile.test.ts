/** Static checks of the Dockerfile and .dockerignore, each shown failing on a broken copy. */
import { checkDeployment } from '../src/deployment';
import type { CheckCode } from '../src/issues';
import { repoCopy, replaceOnce, type RepoCopy } from './support/repo-copy';

const DOCKERFILE = 'Dockerfile';

function checksAfter(change: (copy: RepoCopy) => void): CheckCode[] {
  const copy = repoCopy();
  try {
    change(copy);
    return checkDeployment(copy.root, { lint: false }).issues.map((issue) => issue.check);
  } finally {
    copy.dispose();
  }
}

type Case = [title: string, code: CheckCode, change: (copy: RepoCopy) => void];
const dockerfile = (title: string, code: CheckCode, search: string | RegExp, replacement: string): Case => [
  title,
  code,
  (copy) => copy.edit(DOCKERFILE, replaceOnce(search, replacement)),
];

describe('each Dockerfile check fails on a broken copy', () => {
  const cases: Case[] = [
    dockerfile('a base image on a floating tag', 'image-pin', 'FROM node:20.20.2-bookworm-slim AS build', 'FROM node:20-bookworm-slim AS build'),
    dockerfile('a base image on :latest', 'image-pin', 'FROM node:20.20.2-bookworm-slim AS backend', 'FROM node:latest AS backend'),
    dockerfile('a base image of another Node major', 'image-pin', 'FROM node:20.20.2-bookworm-slim AS backend', 'FROM node:22.12.0-bookworm-slim AS backend'),
    dockerfile('a runtime stage running as root', 'dockerfile', /\nUSER node\nEXPOSE 8080/, '\nUSER root\nEXPOSE 8080'),
    dockerfile('a runtime stage with no USER', 'dockerfile', /\nUSER node\nEXPOSE 8080/, '\nEXPOSE 8080'),
    dockerfile('a health check probing another path', 'healthcheck', "+'/healthz')", "+'/')"),
    dockerfile('a COPY of a file that does not exist', 'dockerfile', 'COPY backend/public backend/public', 'COPY backend/static backend/static'),
    dockerfile('a COPY from a stage that does not exist', 'dockerfile', 'COPY --from=build /app/backend/dist', 'COPY --from=compile /app/backend/dist'),
    dockerfile('an ENV the backend does not read', 'backend-env', '    PANECAST_PORT=8080', '    PANECAST_LISTEN_PORT=8080'),
    dockerfile('a CMD whose entry file the build does not produce', 'dockerfile', '["node", "backend/dist/main.js"]', '["node", "backend/dist/server.js"]'),
    ['a single-stage build', 'dockerfile', (copy) => copy.edit(DOCKERFILE, (text) => text.slice(text.indexOf('FROM node:20.20.2-bookworm-slim AS backend')))],
    ['a .dockerignore that drops a COPY source', 'dockerfile', (copy) => copy.edit('.dockerignore', (text) => `${text}backend/metrics\n`)],
    ['no .dockerignore', 'dockerfile', (copy) => copy.remove('.dockerignore')],
  ];

  it.each(cases)('%s → %s', (_title, code, change) => {
    expect(checksAfter(change)).toContain(code);
  });
});
