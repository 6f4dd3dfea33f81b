/**
 * Checks of deploy/docker-compose.yml without Docker (no engine here, no compose plugin, and no current
 * Compose-spec JSON schema offline): the keys the Compose specification knows, pinned images, existing
 * build contexts and env files, no privileged or host-namespace services, declared volumes, well-formed
 * healthchecks, depends_on targets and conditions that can be met, no dependency cycle; then the
 * Concierge topology (postgres, redis with AOF + noeviction, one-shot migrate, api, worker).
 */
import fs from 'node:fs';
import path from 'node:path';
import { isObj, type Json } from './cloudformation';

type Obj = { [key: string]: Json };

const TOP_LEVEL = new Set([
  'name',
  'services',
  'networks',
  'volumes',
  'configs',
  'secrets',
  'include',
  'models',
]);

/** Service attributes of the Compose specification. */
const SERVICE_KEYS = new Set([
  'annotations',
  'attach',
  'blkio_config',
  'build',
  'cap_add',
  'cap_drop',
  'cgroup',
  'cgroup_parent',
  'command',
  'configs',
  'container_name',
  'cpu_count',
  'cpu_percent',
  'cpu_period',
  'cpu_quota',
  'cpu_rt_period',
  'cpu_rt_runtime',
  'cpu_shares',
  'cpus',
  'cpuset',
  'credential_spec',
  'depends_on',
  'deploy',
  'develop',
  'device_cgroup_rules',
  'devices',
  'dns',
  'dns_opt',
  'dns_search',
  'domainname',
  'entrypoint',
  'env_file',
  'environment',
  'expose',
  'extends',
  'external_links',
  'extra_hosts',
  'gpus',
  'group_add',
  'healthcheck',
  'hostname',
  'image',
  'init',
  'ipc',
  'isolation',
  'label_file',
  'labels',
  'links',
  'logging',
  'mac_address',
  'mem_limit',
  'mem_reservation',
  'mem_swappiness',
  'memswap_limit',
  'models',
  'network_mode',
  'networks',
  'oom_kill_disable',
  'oom_score_adj',
  'pid',
  'pids_limit',
  'platform',
  'ports',
  'post_start',
  'pre_stop',
  'privileged',
  'profiles',
  'provider',
  'pull_policy',
  'read_only',
  'restart',
  'runtime',
  'scale',
  'secrets',
  'security_opt',
  'shm_size',
  'stdin_open',
  'stop_grace_period',
  'stop_signal',
  'storage_opt',
  'sysctls',
  'tmpfs',
  'tty',
  'ulimits',
  'user',
  'userns_mode',
  'uts',
  'volumes',
  'volumes_from',
  'working_dir',
]);
const HEALTHCHECK_KEYS = new Set([
  'disable',
  'interval',
  'retries',
  'start_interval',
  'start_period',
  'test',
  'timeout',
]);
const CONDITIONS = new Set(['service_started', 'service_healthy', 'service_completed_successfully']);
const RESTART = /^(no|always|on-failure(:\d+)?|unless-stopped)$/;
const DURATION = /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/;

export interface ComposeContext {
  /** Folder of the compose file (relative paths in it are resolved from there). */
  dir: string;
  /** Whether the Dockerfile a service builds has a HEALTHCHECK (inherited when compose sets none). */
  imageHasHealthcheck?: (dockerfile: string) => boolean;
}

const extension = (k: string) => k.startsWith('x-');

/** `${VAR:-default}` → default; other interpolations → empty. */
export function interpolateDefaults(text: string): string {
  return text.replace(
    /\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?[^}]*\}/g,
    (_, d: string | undefined) => d ?? '',
  );
}

export function imageProblem(image: string): string | null {
  const resolved = interpolateDefaults(image);
  if (!resolved) return `image ${image} has no default`;
  if (resolved.includes('@sha256:')) return null;
  const last = resolved.split('/').pop() ?? resolved;
  const tag = last.includes(':') ? last.split(':').pop() : undefined;
  if (!tag) return `image ${resolved} has no tag (means latest): pin a version`;
  if (tag === 'latest') return `image ${resolved} uses the latest tag: pin a version`;
  return null;
}

const argv = (command: Json | undefined): string[] =>
  Array.isArray(command) ? command.map(String) : typeof command === 'string' ? command.split(/\s+/) : [];

function dependsOn(service: Obj): Map<string, string> {
  const out = new Map<string, string>();
  const d = service.depends_on;
  if (Array.isArray(d)) d.forEach((n) => out.set(String(n), 'service_started'));
  else if (isObj(d)) {
    for (const [n, v] of Object.entries(d))
      out.set(n, isObj(v) ? String(v.condition ?? 'service_started') : '');
  }
  return out;
}

const healthcheckDisabled = (s: Obj) =>
  isObj(s.healthcheck) &&
  (s.healthcheck.disable === true || JSON.stringify(s.healthcheck.test) === '["NONE"]');

/** Volume sources of a service: named volumes (not paths). */
function namedVolumes(service: Obj): Array<{ source: string; target: string }> {
  const out: Array<{ source: string; target: string }> = [];
  for (const v of Array.isArray(service.volumes) ? service.volumes : []) {
    let source = '';
    let target = '';
    if (typeof v === 'string') [source = '', target = ''] = v.split(':');
    else if (isObj(v) && (v.type ?? 'volume') === 'volume') {
      source = String(v.source ?? '');
      target = String(v.target ?? '');
    }
    if (source && !/^[./~]/.test(source)) out.push({ source, target });
  }
  return out;
}

export function checkCompose(doc: unknown, ctx: ComposeContext): string[] {
  const problems: string[] = [];
  if (!isObj(doc)) return ['the compose file is not a mapping'];
  for (const key of Object.keys(doc)) {
    if (key === 'version') problems.push('top-level version is obsolete in the Compose specification');
    else if (!TOP_LEVEL.has(key) && !extension(key)) problems.push(`unknown top-level key ${key}`);
  }
  const services = isObj(doc.services) ? doc.services : {};
  if (Object.keys(services).length === 0) problems.push('no services');
  const declaredVolumes = new Set(Object.keys(isObj(doc.volumes) ? doc.volumes : {}));
  const usedVolumes = new Set<string>();

  const hasHealthcheck = (s: Obj): boolean => {
    if (healthcheckDisabled(s)) return false;
    if (isObj(s.healthcheck)) return true;
    const build = s.build;
    if (!build || !ctx.imageHasHealthcheck) return false;
    const context = typeof build === 'string' ? build : String((isObj(build) && build.context) || '.');
    const file = isObj(build) && build.dockerfile ? String(build.dockerfile) : 'Dockerfile';
    return ctx.imageHasHealthcheck(path.resolve(ctx.dir, context, file));
  };

  for (const [name, raw] of Object.entries(services)) {
    const at = `services.${name}`;
    if (!isObj(raw)) {
      problems.push(`${at}: not a mapping`);
      continue;
    }
    const s = raw;
    for (const key of Object.keys(s)) {
      if (!SERVICE_KEYS.has(key) && !extension(key)) problems.push(`${at}: unknown key ${key}`);
    }
    if (s.image === undefined && s.build === undefined) problems.push(`${at}: needs image or build`);
    if (typeof s.image === 'string') {
      const p = imageProblem(s.image);
      if (p) problems.push(`${at}: ${p}`);
    }
    if (s.build !== undefined) {
      const context =
        typeof s.build === 'string' ? s.build : String((isObj(s.build) && s.build.context) || '.');
      const contextDir = path.resolve(ctx.dir, context);
      const file = isObj(s.build) && s.build.dockerfile ? String(s.build.dockerfile) : 'Dockerfile';
      if (!fs.existsSync(contextDir)) problems.push(`${at}: build context ${context} does not exist`);
      else if (!fs.existsSync(path.resolve(contextDir, file)))
        problems.push(`${at}: no Dockerfile at ${file}`);
    }
    for (const envFile of typeof s.env_file === 'string'
      ? [s.env_file]
      : Array.isArray(s.env_file)
        ? s.env_file
        : []) {
      const file = path.resolve(ctx.dir, String(isObj(envFile) ? envFile.path : envFile));
      if (!fs.existsSync(file) && !fs.existsSync(`${file}.example`)) {
        problems.push(
          `${at}: env_file ${String(envFile)} has neither the file nor a ${String(envFile)}.example`,
        );
      }
    }
    if (s.privileged === true) problems.push(`${at}: privileged`);
    for (const ns of ['network_mode', 'pid', 'ipc', 'userns_mode', 'uts']) {
      if (s[ns] === 'host') problems.push(`${at}: ${ns}: host`);
    }
    for (const cap of Array.isArray(s.cap_add) ? s.cap_add : []) {
      if (cap === 'ALL' || cap === 'SYS_ADMIN') problems.push(`${at}: cap_add ${cap}`);
    }
    if (JSON.stringify(s.volumes ?? []).includes('docker.sock'))
      problems.push(`${at}: mounts the Docker socket`);
    if (s.restart !== undefined && !RESTART.test(String(s.restart))) {
      problems.push(`${at}: restart ${String(s.restart)} is not no|always|on-failure|unless-stopped`);
    }
    for (const v of namedVolumes(s)) {
      usedVolumes.add(v.source);
      if (!declaredVolumes.has(v.source))
        problems.push(`${at}: volume ${v.source} is not declared under volumes`);
    }
    if (s.healthcheck !== undefined) {
      const h = s.healthcheck;
      if (!isObj(h)) problems.push(`${at}.healthcheck: not a mapping`);
      else {
        for (const key of Object.keys(h)) {
          if (!HEALTHCHECK_KEYS.has(key)) problems.push(`${at}.healthcheck: unknown key ${key}`);
        }
        if (h.disable !== true) {
          const test = h.test;
          const okTest =
            (typeof test === 'string' && test.trim() !== '') ||
            (Array.isArray(test) &&
              ['CMD', 'CMD-SHELL', 'NONE'].includes(String(test[0])) &&
              test.length > 1);
          if (!okTest)
            problems.push(`${at}.healthcheck: test must be [CMD, ...], [CMD-SHELL, "..."] or a string`);
          for (const d of ['interval', 'timeout', 'start_period', 'start_interval']) {
            if (h[d] !== undefined && !DURATION.test(String(h[d]))) {
              problems.push(`${at}.healthcheck.${d}: ${JSON.stringify(h[d])} is not a duration like 5s`);
            }
          }
          if (h.retries !== undefined && !Number.isInteger(h.retries)) {
            problems.push(`${at}.healthcheck.retries: not a whole number`);
          }
        }
      }
    }
    for (const [target, condition] of dependsOn(s)) {
      const t = services[target];
      if (!isObj(t)) {
        problems.push(`${at}.depends_on: unknown service ${target}`);
        continue;
      }
      if (target === name) problems.push(`${at}.depends_on: itself`);
      if (!CONDITIONS.has(condition))
        problems.push(`${at}.depends_on.${target}: unknown condition ${condition}`);
      if (condition === 'service_healthy' && !hasHealthcheck(t)) {
        problems.push(`${at}.depends_on.${target}: service_healthy, but ${target} has no healthcheck`);
      }
      if (
        condition === 'service_completed_successfully' &&
        !['no', undefined].includes(t.restart as string)
      ) {
        problems.push(`${at}.depends_on.${target}: completed_successfully needs a one-shot (restart: "no")`);
      }
    }
  }
  for (const v of declaredVolumes) {
    if (!usedVolumes.has(v)) problems.push(`volumes.${v}: declared but never used`);
  }
  const cycle = dependencyCycle(services);
  if (cycle) problems.push(`depends_on cycle: ${cycle.join(' → ')}`);
  return problems;
}

function dependencyCycle(services: Obj): string[] | null {
  const state = new Map<string, number>();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    if (state.get(n) === 2) return null;
    if (state.get(n) === 1) return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 1);
    stack.push(n);
    const s = services[n];
    for (const m of isObj(s) ? dependsOn(s).keys() : []) {
      const c = visit(m);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 2);
    return null;
  };
  for (const n of Object.keys(services)) {
    const c = visit(n);
    if (c) return c;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------
// The Concierge topology

export function checkConciergeCompose(doc: unknown): string[] {
  const problems: string[] = [];
  const services = isObj(doc) && isObj(doc.services) ? doc.services : {};
  const get = (name: string): Obj | null => {
    const s = services[name];
    if (!isObj(s)) problems.push(`services.${name}: missing`);
    return isObj(s) ? s : null;
  };
  const postgres = get('postgres');
  const redis = get('redis');
  const migrate = get('migrate');
  const api = get('api');
  const worker = get('worker');

  if (postgres) {
    if (!/^postgres:16([.-]|$)/.test(String(postgres.image)))
      problems.push('services.postgres: image postgres:16');
    if (!namedVolumes(postgres).some((v) => v.target === '/var/lib/postgresql/data')) {
      problems.push('services.postgres: a named volume on /var/lib/postgresql/data');
    }
  }
  if (redis) {
    if (!/^redis:7([.-]|$)/.test(String(redis.image))) problems.push('services.redis: image redis:7');
    const cmd = argv(redis.command).join(' ');
    if (!/--appendonly yes\b/.test(cmd)) problems.push('services.redis: command needs --appendonly yes');
    if (!/--maxmemory-policy noeviction\b/.test(cmd)) {
      problems.push('services.redis: command needs --maxmemory-policy noeviction');
    }
    if (!namedVolumes(redis).some((v) => v.target === '/data'))
      problems.push('services.redis: a named volume on /data');
  }
  for (const [name, s] of [
    ['postgres', postgres],
    ['redis', redis],
  ] as const) {
    if (!s) continue;
    if (!isObj(s.healthcheck) || healthcheckDisabled(s))
      problems.push(`services.${name}: needs a healthcheck`);
    if (s.ports !== undefined) problems.push(`services.${name}: publishes ports (keep data stores internal)`);
  }
  const app: Array<[string, Obj | null, string]> = [
    ['migrate', migrate, 'migrate'],
    ['api', api, 'serve'],
    ['worker', worker, 'work'],
  ];
  for (const [name, s, sub] of app) {
    if (!s) continue;
    if (JSON.stringify(argv(s.command).slice(0, 3)) !== JSON.stringify(['node', 'bin/concierge', sub])) {
      problems.push(`services.${name}: command must be node bin/concierge ${sub}`);
    }
    if (s.env_file === undefined) problems.push(`services.${name}: env_file (deploy/.env) expected`);
    if (s.build === undefined && s.image === undefined)
      problems.push(`services.${name}: the Concierge image`);
    if (s.privileged === true) problems.push(`services.${name}: privileged`);
  }
  if (migrate && String(migrate.restart) !== 'no')
    problems.push('services.migrate: restart: "no" (one-shot)');
  if (migrate && dependsOn(migrate).get('postgres') !== 'service_healthy') {
    problems.push('services.migrate: depends_on postgres service_healthy');
  }
  for (const [name, s] of [
    ['api', api],
    ['worker', worker],
  ] as const) {
    if (!s) continue;
    const d = dependsOn(s);
    if (d.get('migrate') !== 'service_completed_successfully') {
      problems.push(`services.${name}: depends_on migrate service_completed_successfully`);
    }
    for (const store of ['postgres', 'redis']) {
      if (d.get(store) !== 'service_healthy')
        problems.push(`services.${name}: depends_on ${store} service_healthy`);
    }
  }
  if (api && !(Array.isArray(api.ports) && api.ports.some((p) => /(^|:)3000(\/tcp)?$/.test(String(p))))) {
    problems.push('services.api: publish container port 3000');
  }
  if (worker && worker.ports !== undefined)
    problems.push('services.worker: workers serve no HTTP (no ports)');
  return problems;
}

/** deploy/.env.example: every configuration variable of the service named, no secret filled in. */
export function checkEnvExample(text: string, configKeys: string[]): string[] {
  const problems: string[] = [];
  const assigned = new Map<string, string>();
  const mentioned = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m?.[2]) continue;
    mentioned.add(m[2]);
    if (!m[1]) assigned.set(m[2], (m[3] ?? '').trim());
  }
  for (const key of configKeys) {
    if (!mentioned.has(key)) problems.push(`${key} (server/config.ts) is not listed`);
  }
  for (const [key, value] of assigned) {
    if (/KEY|SECRET|PASSWORD|TOKEN/.test(key) && value !== '') {
      problems.push(`${key} has a value; secrets stay empty in the example`);
    }
  }
  return problems;
}
