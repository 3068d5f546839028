/**
 * docker-compose.yml and the Dockerfile it builds: the shipped files pass
 * every check, and each check fails on a copy broken the way it guards
 * against. No Docker engine is involved.
 */
import { checkDeployment } from '../src/deployment';
import { formatIssues, type CheckCode } from '../src/issues';
import { REPO_ROOT } from '../src/repo';
import { repoCopy, replaceOnce, type RepoCopy } from './support/repo-copy';

const COMPOSE = 'docker-compose.yml';

/** dclint runs only for the cases about it: it compiles the compose schema on each call. */
function checksAfter(change: (copy: RepoCopy) => void, lint: boolean): CheckCode[] {
  const copy = repoCopy();
  try {
    change(copy);
    return checkDeployment(copy.root, { lint }).issues.map((issue) => issue.check);
  } finally {
    copy.dispose();
  }
}

describe('the shipped compose file and Dockerfile', () => {
  const report = checkDeployment(REPO_ROOT);

  it('have no issues', () => {
    expect(formatIssues(report.issues)).toBe('');
  });

  it('bring up the whole demo', () => {
    expect([...report.compose.services.keys()].sort()).toEqual(['backend', 'grafana', 'kafka', 'loadgen', 'redis', 'victoriametrics']);
    expect([...report.compose.volumes].sort()).toEqual(['grafana-data', 'kafka-data', 'redis-data', 'vm-data']);
  });
});

type Case = [title: string, code: CheckCode, change: (copy: RepoCopy) => void];
const compose = (title: string, code: CheckCode, search: string | RegExp, replacement: string): Case => [
  title,
  code,
  (copy) => copy.edit(COMPOSE, replaceOnce(search, replacement)),
];

describe('each compose check fails on a broken copy', () => {
  const cases: Case[] = [
    compose('an unknown service key (compose-spec schema)', 'compose-schema', '    restart: on-failure\n', '    restart: on-failure\n    restart_policy: always\n'),
    compose('a healthcheck interval of the wrong type (compose-spec schema)', 'compose-schema', '      interval: 5s\n      timeout: 3s\n      retries: 10\n    restart: unless-stopped\n\n  victoriametrics', '      interval: [5s]\n      timeout: 3s\n      retries: 10\n    restart: unless-stopped\n\n  victoriametrics'),
    compose('a port published on every interface (dclint)', 'compose-lint', '"127.0.0.1:3000:3000"', '"3000:3000"'),
    compose('an image on :latest', 'image-pin', 'redis:7.4.2-alpine', 'redis:latest'),
    compose('an image without a tag', 'image-pin', 'redis:7.4.2-alpine', 'redis'),
    compose('an image on a floating minor tag', 'image-pin', 'grafana/grafana:13.2.3', 'grafana/grafana:13.2'),
    compose('a Grafana older than the plugins build against', 'image-pin', 'grafana/grafana:13.2.3', 'grafana/grafana:12.4.2'),
    compose('a VictoriaMetrics other than the tests run', 'image-pin', 'victoria-metrics:v1.151.0', 'victoria-metrics:v1.150.0'),
    compose('a Kafka other than the tests run', 'image-pin', 'apache/kafka:4.1.1', 'apache/kafka:4.0.0'),
    compose('a mounted host path that does not exist', 'mount', './plugin-panel/dist:', './plugin-panel/build:'),
    compose('a machine path mounted', 'mount', './provisioning/datasources:', '/srv/provisioning/datasources:'),
    compose('a named volume not declared', 'mount', '      - redis-data:/data', '      - redis-state:/data'),
    compose('a variable the backend does not read', 'backend-env', '      PANECAST_KAFKA_GROUP: panecast-processor', '      PANECAST_KAFKA_GROUPID: panecast-processor'),
    compose('a value the backend refuses', 'backend-env', '      PANECAST_KAFKA_PARTITIONS: 6', '      PANECAST_KAFKA_PARTITIONS: six'),
    compose('an origin list the gateway refuses', 'backend-env', 'http://localhost:3000,http://127.0.0.1:3000}', 'localhost:3000}'),
    compose('live auth on without a secret', 'backend-env', '${PANECAST_TOKEN_SECRETS:-panecast-demo-token-secret-change-me-0123456789}', '${PANECAST_TOKEN_SECRETS:-}'),
    compose('a token secret shorter than 32 bytes', 'backend-env', '${PANECAST_TOKEN_SECRETS:-panecast-demo-token-secret-change-me-0123456789}', '${PANECAST_TOKEN_SECRETS:-short}'),
    compose('a read key the backend cannot parse', 'backend-env', 'PANECAST_READ_KEYS: default:${PANECAST_READ_KEY', 'PANECAST_READ_KEYS: Default:${PANECAST_READ_KEY'),
    compose("Grafana's read key not among the backend's", 'credentials', '      PANECAST_READ_KEY: ${PANECAST_READ_KEY:-panecast-demo-read-key-change-me}', '      PANECAST_READ_KEY: some-other-read-key-0123'),
    compose("Grafana's read key of another tenant", 'credentials', 'PANECAST_READ_KEYS: default:${PANECAST_READ_KEY', 'PANECAST_READ_KEYS: acme:${PANECAST_READ_KEY'),
    compose('reads left open (live auth off)', 'credentials', '      PANECAST_AUTH: "on"', '      PANECAST_AUTH: "off"'),
    compose('writes left open (no collector keys)', 'credentials', '      PANECAST_API_KEYS: default:${PANECAST_WRITE_KEY:-panecast-demo-write-key-change-me}\n', ''),
    compose("the load generator's key refused by the collector", 'credentials', '      PANECAST_API_KEY: ${PANECAST_WRITE_KEY:-panecast-demo-write-key-change-me}', '      PANECAST_API_KEY: not-the-write-key-0123'),
    compose("an origin list without Grafana's address", 'credentials', 'http://localhost:3000,http://127.0.0.1:3000}', 'http://grafana.example.com}'),
    compose('a live URL the browser cannot resolve (a compose service name)', 'grafana', 'ws://localhost:8080/v1/live', 'ws://backend:8080/v1/live'),
    compose('a backend URL that is Grafana itself', 'grafana', '      PANECAST_URL: http://backend:8080', '      PANECAST_URL: http://localhost:8080'),
    compose('the backend in embedded mode', 'backend-env', '      PANECAST_MODE: services', '      PANECAST_MODE: embedded'),
    compose('Redis at the container\'s own loopback', 'backend-env', 'redis://redis:6379', 'redis://127.0.0.1:6379'),
    compose('the backend listening on loopback', 'backend-env', '      PANECAST_HOST: 0.0.0.0', '      PANECAST_HOST: 127.0.0.1'),
    compose('a dependency without a health check', 'healthcheck', '    healthcheck:\n      test: ["CMD", "redis-cli", "ping"]\n      interval: 5s\n      timeout: 3s\n      retries: 10\n', ''),
    compose('a dependency not waited for until healthy', 'depends-on', '      redis:\n        condition: service_healthy', '      redis:\n        condition: service_started'),
    compose('a service the backend uses but does not wait for', 'depends-on', '      redis:\n        condition: service_healthy\n', ''),
    compose('a dependency on a service that does not exist', 'depends-on', '      victoriametrics:\n        condition: service_healthy\n    environment:\n      PANECAST_MODE', '      victoriametrics:\n        condition: service_healthy\n      zookeeper:\n        condition: service_healthy\n    environment:\n      PANECAST_MODE'),
    compose('a published port without a comment', 'port-comment', '"127.0.0.1:8428:8428" # VictoriaMetrics HTTP API and vmui', '"127.0.0.1:8428:8428"'),
    compose('unsigned loading allowed for a third plugin', 'grafana', 'panecast-live-datasource,panecast-live-panel', 'panecast-live-datasource,panecast-live-panel,grafana-clock-panel'),
    compose('unsigned loading not allowed for the panel', 'grafana', 'panecast-live-datasource,panecast-live-panel', 'panecast-live-datasource'),
    compose('a plugin mounted under the wrong id', 'grafana', '/var/lib/grafana/plugins/panecast-live-panel:', '/var/lib/grafana/plugins/panecast-panel:'),
    compose('a plugin mounted from its sources, not dist/', 'grafana', './plugin-panel/dist:', './plugin-panel/src:'),
    compose('anonymous visitors as editors', 'grafana', 'GF_AUTH_ANONYMOUS_ORG_ROLE: Viewer', 'GF_AUTH_ANONYMOUS_ORG_ROLE: Editor'),
    compose('a variable the provisioning reads missing from Grafana', 'grafana', '      VICTORIAMETRICS_URL: http://victoriametrics:8428\n', ''),
    compose('dashboards mounted where the provider does not look', 'grafana', './provisioning/dashboards:/etc/grafana/provisioning/dashboards:ro', './provisioning/dashboards:/var/lib/grafana/dashboards:ro'),
    compose('a load generator running a script that does not exist', 'required', '"npm", "run", "loadgen"', '"npm", "run", "load-gen"'),
    compose('a build target the Dockerfile lacks', 'dockerfile', '      target: backend', '      target: server'),
    compose('VictoriaMetrics not scraping the backend', 'scrape', '      - -promscrape.config=/etc/victoriametrics/scrape.yml\n', ''),
    compose('the scrape config mounted elsewhere than the flag says', 'scrape', ':/etc/victoriametrics/scrape.yml:ro', ':/etc/vm/scrape.yml:ro'),
    compose('the scrape key missing from VictoriaMetrics\' environment', 'scrape', '      PANECAST_SCRAPE_KEY: ${PANECAST_READ_KEY:-panecast-demo-read-key-change-me}\n', '      PANECAST_SCRAPE: ${PANECAST_READ_KEY:-panecast-demo-read-key-change-me}\n'),
    compose('a scrape key the backend does not take', 'credentials', '      PANECAST_SCRAPE_KEY: ${PANECAST_READ_KEY:-panecast-demo-read-key-change-me}', '      PANECAST_SCRAPE_KEY: not-a-read-key-0123'),
    compose('the backend on a port the scrape does not target', 'scrape', '      PANECAST_PORT: 8080', '      PANECAST_PORT: 8081'),
  ];

  it.each(cases)('%s → %s', (_title, code, change) => {
    expect(checksAfter(change, code === 'compose-schema' || code === 'compose-lint')).toContain(code);
  });

  it('a dependency cycle → depends-on', () => {
    const checks = checksAfter(
      (copy) =>
        copy.edit(COMPOSE, replaceOnce('  redis:\n    image: redis:7.4.2-alpine\n', '  redis:\n    image: redis:7.4.2-alpine\n    depends_on:\n      backend:\n        condition: service_healthy\n')),
      false,
    );
    expect(checks).toContain('depends-on');
  });
});
