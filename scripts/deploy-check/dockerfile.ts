/**
 * A small Dockerfile parser and the rules deploy/Dockerfile must follow (hadolint is not installable
 * here): multi-stage, pinned base images (no `latest`), a non-root USER, a HEALTHCHECK on /healthz,
 * NODE_ENV=production, exec-form CMD, no secrets in ENV/ARG, `npm ci` with production dependencies in
 * the runtime stage, and a .dockerignore that keeps secrets and node_modules out of the build context.
 */

export interface Instruction {
  line: number;
  keyword: string;
  args: string;
}

export interface Stage {
  index: number;
  name: string | undefined;
  image: string;
  instructions: Instruction[];
}

/** Instructions with line continuations joined; comments and parser directives dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  let current: Instruction | null = null;
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (!current && (/^\s*#/.test(line) || !line.trim())) return;
    if (current && /^\s*#/.test(line)) return; // comment inside a continuation
    const continued = /\\\s*$/.test(line);
    const body = line.replace(/\\\s*$/, '');
    if (current) {
      current.args += ` ${body.trim()}`;
    } else {
      const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(body);
      current = { line: i + 1, keyword: (m?.[1] ?? '').toUpperCase(), args: (m?.[2] ?? '').trim() };
    }
    if (!continued) {
      out.push(current);
      current = null;
    }
  });
  if (current) out.push(current);
  return out;
}

/** Global ARG defaults (before the first FROM), used to resolve `FROM ${IMAGE}`. */
function globalArgs(instructions: Instruction[]): Map<string, string> {
  const args = new Map<string, string>();
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') break;
    if (ins.keyword !== 'ARG') continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(ins.args);
    if (m?.[1]) args.set(m[1], (m[2] ?? '').replace(/^["']|["']$/g, ''));
  }
  return args;
}

export function stages(instructions: Instruction[]): Stage[] {
  const args = globalArgs(instructions);
  const out: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const image = (words[0] ?? '').replace(
        /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g,
        (_, n: string) => args.get(n) ?? '',
      );
      const asAt = words.findIndex((w) => w.toLowerCase() === 'as');
      out.push({
        index: out.length,
        name: asAt > 0 ? words[asAt + 1] : undefined,
        image,
        instructions: [],
      });
    } else {
      out[out.length - 1]?.instructions.push(ins);
    }
  }
  return out;
}

/** Whether `image` names a pinned tag or digest (not `latest`, not untagged), or an earlier stage. */
function imageProblem(image: string, earlier: Set<string>): string | null {
  if (!image) return 'FROM without an image';
  if (earlier.has(image)) return null;
  if (image.includes('@sha256:')) return null;
  const lastSegment = image.split('/').pop() ?? image;
  const tag = lastSegment.includes(':') ? lastSegment.split(':').pop() : undefined;
  if (!tag) return `base image ${image} has no tag (means latest): pin a version`;
  if (tag === 'latest') return `base image ${image} uses the latest tag: pin a version`;
  return null;
}

const SECRET_NAME =
  /(^|_)(SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|PRIVATE_KEY|ACCESS_KEY|ENCRYPTION_KEY|CREDENTIALS?)($|_)/i;

/** `ENV A=1 B=2` or the legacy `ENV A 1` → names. */
function envNames(args: string): string[] {
  if (!args.includes('=')) return [args.split(/\s+/)[0] ?? ''];
  return [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1] ?? '');
}

/** The exec (JSON) form of CMD/ENTRYPOINT, or null for the shell form. */
function jsonArray(args: string | undefined): unknown {
  try {
    return args ? JSON.parse(args) : null;
  } catch {
    return null;
  }
}

export interface DockerfileContext {
  /** Whether a path (relative to the build context) is sent to the builder (see dockerignore()). */
  included?: (path: string) => boolean;
}

export function checkDockerfile(text: string, ctx: DockerfileContext = {}): string[] {
  const problems: string[] = [];
  const instructions = parseDockerfile(text);
  const all = stages(instructions);
  if (all.length < 2) problems.push('multi-stage build expected (dependencies / build / runtime)');
  const names = new Set<string>();
  for (const s of all) {
    const p = imageProblem(s.image, names);
    if (p) problems.push(`stage ${s.name ?? s.index}: ${p}`);
    if (s.name) {
      if (names.has(s.name)) problems.push(`stage name ${s.name} used twice`);
      names.add(s.name);
    }
    for (const ins of s.instructions) {
      const from = /--from=(\S+)/.exec(ins.args)?.[1];
      if (ins.keyword === 'COPY' && from && !names.has(from) && !/[:/]/.test(from)) {
        problems.push(`line ${ins.line}: COPY --from=${from}: no earlier stage of that name`);
      }
      if (ins.keyword === 'ADD' && /https?:\/\//.test(ins.args)) {
        problems.push(`line ${ins.line}: ADD of a URL: download in a RUN step with a checksum, or COPY`);
      }
      if (ins.keyword === 'ENV' || ins.keyword === 'ARG') {
        for (const name of envNames(ins.args)) {
          if (SECRET_NAME.test(name)) {
            problems.push(
              `line ${ins.line}: ${ins.keyword} ${name}: secrets never go into the image or its history`,
            );
          }
        }
      }
      if (ins.keyword === 'RUN') {
        if (/\bnpm (install|i)\b(?!.*-g)/.test(ins.args)) {
          problems.push(`line ${ins.line}: use npm ci (the lock file), not npm install`);
        }
        if (/\bsudo\b/.test(ins.args)) problems.push(`line ${ins.line}: no sudo`);
        if (/apt-get install/.test(ins.args) && !/--no-install-recommends/.test(ins.args)) {
          problems.push(`line ${ins.line}: apt-get install --no-install-recommends`);
        }
      }
    }
  }

  const final = all[all.length - 1];
  if (!final) return ['no FROM instruction'];
  const of = (k: string) => final.instructions.filter((i) => i.keyword === k);
  const at = (k: string) => `runtime stage (${final.name ?? final.index})`.concat(k ? `: ${k}` : '');

  const users = of('USER');
  const user = users[users.length - 1]?.args.split(':')[0];
  if (!user) problems.push(at('no USER: the service must not run as root'));
  else if (user === 'root' || user === '0') problems.push(at(`USER ${user} is root`));

  const checks = of('HEALTHCHECK');
  const check = checks[checks.length - 1];
  if (!check) problems.push(at('no HEALTHCHECK'));
  else if (/^NONE\b/i.test(check.args)) problems.push(at('HEALTHCHECK NONE'));
  else if (!check.args.includes('/healthz')) problems.push(at('the HEALTHCHECK must call /healthz'));
  else if (/\bcurl\b|\bwget\b/.test(check.args)) problems.push(at('node:*-slim has no curl/wget: use node'));
  else {
    const command = /\bCMD\s+(.*)$/.exec(check.args)?.[1] ?? '';
    if (command.startsWith('[') && !Array.isArray(jsonArray(command))) {
      problems.push(at('the HEALTHCHECK CMD is not valid JSON (Docker would run it as a shell string)'));
    }
  }

  const env = of('ENV')
    .map((i) => i.args)
    .join(' ');
  if (!/\bNODE_ENV=("?)production\1(\s|$)/.test(env)) problems.push(at('ENV NODE_ENV=production missing'));

  const cmds = of('CMD');
  const cmd = cmds[cmds.length - 1]?.args;
  if (JSON.stringify(jsonArray(cmd)) !== JSON.stringify(['node', 'bin/concierge', 'serve'])) {
    problems.push(at('CMD must be the exec form ["node", "bin/concierge", "serve"]'));
  }
  if (of('ENTRYPOINT').length) {
    problems.push(at('no ENTRYPOINT: workers override the command (node bin/concierge work)'));
  }

  for (const ins of of('COPY')) {
    const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
    const sources = words.slice(0, -1);
    const fromStage = /--from=(\S+)/.exec(ins.args)?.[1];
    if (!fromStage && sources.some((s) => s === '.' || s === './' || s === '*')) {
      problems.push(`line ${ins.line}: the runtime stage copies the whole context: copy only what it needs`);
    }
    if (!fromStage && ctx.included) {
      for (const src of sources) {
        const clean = src.replace(/^\.\//, '').replace(/\/$/, '');
        if (!ctx.included(clean)) problems.push(`line ${ins.line}: ${src} is excluded by the .dockerignore`);
      }
    }
    if (fromStage && sources.some((s) => /node_modules/.test(s))) {
      const producer = all.find((s) => s.name === fromStage);
      const install = producer?.instructions.find((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
      if (!install || !/--omit=dev/.test(install.args)) {
        problems.push(`line ${ins.line}: node_modules must come from a stage running npm ci --omit=dev`);
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// .dockerignore

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          re += '(?:.*/)?'; // `**/`: any number of folders, including none
          i++;
        } else {
          re += '.*';
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else {
      re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}

/**
 * A .dockerignore as Docker reads it: patterns in order, `!` re-includes, the last match wins, and a
 * pattern that matches a folder also covers what is inside it. Returns `included(path)`.
 */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      return { negate, re: globToRegExp(pattern) };
    });
  return (file: string) => {
    const parts = file.replace(/^\.\//, '').split('/');
    let excluded = false;
    for (const rule of rules) {
      for (let n = 1; n <= parts.length; n++) {
        if (rule.re.test(parts.slice(0, n).join('/'))) {
          excluded = !rule.negate;
          break;
        }
      }
    }
    return !excluded;
  };
}

/** What the build context must never contain, and what the image needs from it. */
export function checkDockerignore(text: string, needed: string[]): string[] {
  const included = dockerignore(text);
  const problems: string[] = [];
  for (const secret of [
    '.env',
    'deploy/.env',
    '.data/encryption.key',
    'node_modules/x/index.js',
    '.git/config',
  ]) {
    if (included(secret)) problems.push(`.dockerignore lets ${secret} into the build context`);
  }
  for (const file of needed) {
    if (!included(file)) problems.push(`.dockerignore excludes ${file}, which the image needs`);
  }
  return problems;
}
