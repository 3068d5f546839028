# syntax=docker/dockerfile:1
# The Panecast backend image and the load generator's, for docker-compose.yml.
# Multi-stage: `build` compiles TypeScript with the dev dependencies; `backend`
# carries only the compiled output and the production dependencies; `loadgen`
# runs the load generator's TypeScript as `npm run loadgen` does. Both final
# stages run as the unprivileged `node` user of the official image.
# deploy-checks/test/dockerfile-steps.test.ts runs these steps on the host.

FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
# Manifests first, so the dependency layer is cached until the lock file changes.
# Only the workspaces the image needs are copied; npm ci installs just those.
COPY package.json package-lock.json tsconfig.base.json ./
COPY protocol/package.json protocol/
COPY backend/package.json backend/
# --include-workspace-root: TypeScript and the Node types are root devDependencies.
# The npm cache lives in a BuildKit cache mount, never in a layer.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --include-workspace-root --workspace protocol --workspace backend --ignore-scripts --no-audit --no-fund
COPY protocol protocol
COPY backend backend
RUN npm run build --workspace protocol --workspace backend

FROM node:20.20.2-bookworm-slim AS backend
ENV NODE_ENV=production \
    PANECAST_HOST=0.0.0.0 \
    PANECAST_PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
COPY protocol/package.json protocol/
COPY backend/package.json backend/
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --workspace backend --ignore-scripts --no-audit --no-fund
COPY --from=build /app/protocol/dist protocol/dist
COPY --from=build /app/backend/dist backend/dist
COPY backend/metrics backend/metrics
COPY backend/public backend/public
# Files stay root-owned and read-only for the process: it writes nothing locally.
USER node
EXPOSE 8080
# The slim image has no curl; Node 20's fetch does the probe. /healthz answers
# while the process is up; /readyz would also need Kafka, Redis and VictoriaMetrics.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PANECAST_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "backend/dist/main.js"]

FROM node:20.20.2-bookworm-slim AS loadgen
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
COPY protocol/package.json protocol/
COPY backend/package.json backend/
COPY sdk/package.json sdk/
COPY loadgen/package.json loadgen/
# The root devDependencies carry @swc/core, which bench/register.cjs compiles
# the TypeScript with on require (the root script `loadgen` uses it).
RUN --mount=type=cache,target=/root/.npm \
    npm ci --include-workspace-root --workspace protocol --workspace backend --workspace sdk --workspace loadgen --ignore-scripts --no-audit --no-fund
COPY protocol protocol
COPY backend backend
COPY sdk sdk
COPY loadgen loadgen
COPY bench/register.cjs bench/
# The backend sources it imports resolve @panecast/protocol to its build.
RUN npm run build --workspace protocol
USER node
# docker-compose.yml gives the options; alone, the image prints them.
CMD ["npm", "run", "loadgen", "--", "--help"]
