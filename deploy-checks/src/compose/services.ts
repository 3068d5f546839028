/**
 * Checks of docker-compose.yml that need no Docker engine: pinned images,
 * mounted host paths that exist, declared named volumes, health checks and
 * depends_on conditions that bring the stack up in order, and a comment on
 * every published port.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { isMap, isScalar, isSeq, type Document } from 'yaml';
import { IssueList } from '../issues';
import { parseImage, tagVersion, unpinned } from '../images';
import type { ComposeModel, ComposeService } from './model';

/** Image name → the x.y.z it must be, where another part of the repo fixes the version. */
export type ImageVersions = ReadonlyMap<string, { readonly version: string; readonly why: string }>;

export function checkImages(model: ComposeModel, versions: ImageVersions, issues: IssueList): void {
  for (const service of model.services.values()) {
    const at = `services.${service.name}`;
    if (service.image === undefined) {
      if (service.build === undefined) {
        issues.add('image-pin', at, 'has neither image nor build');
      }
      continue;
    }
    const ref = parseImage(service.image);
    const problem = unpinned(ref);
    if (problem !== undefined) {
      issues.add('image-pin', `${at}.image`, `${service.image} ${problem}`);
      continue;
    }
    const expected = versions.get(ref.name);
    if (expected !== undefined && ref.digest === undefined && !tagVersion(ref)?.startsWith(expected.version)) {
      issues.add('image-pin', `${at}.image`, `${service.image}: expected version ${expected.version} (${expected.why})`);
    }
  }
}

export function checkMounts(root: string, composeDir: string, model: ComposeModel, issues: IssueList): void {
  const used = new Set<string>();
  for (const service of model.services.values()) {
    if (service.build !== undefined) {
      const context = join(composeDir, service.build.context);
      if (!existsSync(context)) {
        issues.add('mount', `services.${service.name}.build.context`, `${service.build.context} does not exist`);
      } else if (!existsSync(join(context, service.build.dockerfile))) {
        issues.add('mount', `services.${service.name}.build.dockerfile`, `${service.build.dockerfile} does not exist in ${service.build.context}`);
      }
    }
    for (const mount of service.mounts) {
      if (mount.type === 'volume') {
        used.add(mount.source);
        if (!model.volumes.has(mount.source)) {
          issues.add('mount', mount.at, `named volume "${mount.source}" is not declared under the top-level volumes`);
        }
        continue;
      }
      if (isAbsolute(mount.source) || mount.source.startsWith('~')) {
        issues.add('mount', mount.at, `${mount.source}: mount paths inside the repo, relative to the compose file, never machine paths`);
        continue;
      }
      const host = join(composeDir, mount.source);
      if (relative(root, host).startsWith('..')) {
        issues.add('mount', mount.at, `${mount.source} leaves the repository`);
      } else if (!existsSync(host)) {
        issues.add('mount', mount.at, `${mount.source} does not exist (for plugin dist/ folders: run npm run build first)`);
      }
    }
  }
  for (const volume of model.volumes) {
    if (!used.has(volume)) {
      issues.add('mount', `volumes.${volume}`, 'is declared but no service mounts it');
    }
  }
}

/**
 * `imageHealthcheck(service)` says whether the image a service builds has a
 * HEALTHCHECK of its own (compose uses it when the service declares none).
 */
export function checkHealth(model: ComposeModel, imageHealthcheck: (service: ComposeService) => boolean, issues: IssueList): void {
  const healthy = (service: ComposeService) => service.healthcheck !== undefined || imageHealthcheck(service);
  for (const service of model.services.values()) {
    const at = `services.${service.name}`;
    if (service.ports.length > 0 && !healthy(service)) {
      issues.add('healthcheck', at, 'publishes ports but has no health check (in compose or in its image)');
    }
    for (const [dependency, condition] of service.dependsOn) {
      const target = model.services.get(dependency);
      if (target === undefined) {
        issues.add('depends-on', `${at}.depends_on.${dependency}`, 'is not a service of this file');
      } else if (!healthy(target)) {
        issues.add('healthcheck', `services.${dependency}`, `${service.name} depends on it, but it has no health check to wait for`);
      } else if (condition !== 'service_healthy') {
        issues.add('depends-on', `${at}.depends_on.${dependency}`, `condition ${condition}: wait for service_healthy so the stack comes up in order`);
      }
    }
  }
  // A cycle would leave compose unable to start anything.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === 'done') {
      return;
    }
    if (state.get(name) === 'visiting') {
      issues.add('depends-on', `services.${name}`, `depends_on cycle: ${[...path, name].join(' → ')}`);
      return;
    }
    state.set(name, 'visiting');
    for (const dependency of model.services.get(name)?.dependsOn.keys() ?? []) {
      visit(dependency, [...path, name]);
    }
    state.set(name, 'done');
  };
  for (const name of model.services.keys()) {
    visit(name, []);
  }
}

/** Every published port carries a trailing comment saying what it is for. */
export function checkPortComments(document: Document, issues: IssueList): void {
  const services = document.get('services');
  if (!isMap(services)) {
    return;
  }
  for (const pair of services.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    const ports = isMap(pair.value) ? pair.value.get('ports', true) : undefined;
    if (!isSeq(ports)) {
      continue;
    }
    ports.items.forEach((item, index) => {
      const comment = isScalar(item) ? item.comment : undefined;
      if (comment === undefined || comment === null || comment.trim() === '') {
        issues.add('port-comment', `services.${name}.ports[${index}]`, 'document what the port is for in a trailing comment');
      }
    });
  }
}
