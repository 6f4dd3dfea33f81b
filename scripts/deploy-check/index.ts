/**
 * Validates everything under deploy/ without Docker or AWS: the Dockerfile and its .dockerignore, the
 * compose file and its .env.example, the CloudFormation template (own structural checks, plus cfn-lint
 * when it is installed), and the service sources they must agree with (what bin/concierge loads, which
 * AWS commands it sends).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { configSchema } from '../../server/config';
import { checkConciergeStack, checkTemplate, serviceActions, SERVICE_ACTIONS } from './cloudformation';
import { checkCompose, checkConciergeCompose, checkEnvExample } from './compose';
import { checkDockerfile, checkDockerignore, dockerignore, parseDockerfile, stages } from './dockerfile';
import { awsCalls, checkAwsCalls, checkImageInputs, reachable } from './sources';
import { parseCloudFormation, parseYaml } from './yaml';

/** Loaded on demand by commands that only run from a clone (`concierge demo`); not in the image. */
const DEV_ONLY = ['server/demo/index.ts'];

export interface Options {
  /** Repository root: package.json, bin/, server/, workers/. */
  root: string;
  /** Folder holding the deploy files (default <root>/deploy); tests point it at mutated copies. */
  deployDir?: string;
  /** Run cfn-lint when it is on PATH (default true). */
  cfnLint?: boolean;
}

export interface Result {
  problems: string[];
  /** Checks that could not run here, and why. */
  skipped: string[];
  /** Names of the checks that ran. */
  ran: string[];
}

export const FILES = {
  dockerfile: 'Dockerfile',
  dockerignore: 'Dockerfile.dockerignore',
  compose: 'docker-compose.yml',
  envExample: '.env.example',
  cloudformation: 'cloudformation.yaml',
} as const;

export interface CfnLintResult {
  available: boolean;
  problems: string[];
}

/** Runs cfn-lint (pip package cfn-lint, in the node-svc machine image) on a template, if installed. */
export function runCfnLint(file: string): CfnLintResult {
  const run = spawnSync('cfn-lint', ['--format', 'parseable', '--', file], { encoding: 'utf8' });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')
    return { available: false, problems: [] };
  // Exit status is a bit mask: 2 errors, 4 warnings, 8 informational; anything but 0 or 8 fails.
  const status = run.status ?? 1;
  const lines = `${run.stdout}${run.stderr}`.split('\n').filter((l) => l.trim());
  return {
    available: true,
    problems:
      (status !== 0 && status !== 8) || run.error
        ? lines.length
          ? lines
          : [`cfn-lint exited ${status}`]
        : [],
  };
}

function read(file: string, problems: string[]): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    problems.push(`${file}: missing`);
    return null;
  }
}

/** Folders the runtime stage copies from the build context (`COPY bin ./bin` → "bin"). */
export function runtimeCopies(dockerfileText: string): string[] {
  const all = stages(parseDockerfile(dockerfileText));
  const final = all[all.length - 1];
  return (final?.instructions ?? [])
    .filter((i) => i.keyword === 'COPY' && !/--from=/.test(i.args))
    .flatMap((i) =>
      i.args
        .split(/\s+/)
        .filter((w) => !w.startsWith('--'))
        .slice(0, -1),
    )
    .map((s) => s.replace(/^\.\//, '').replace(/\/$/, ''));
}

export function validateDeploy(options: Options): Result {
  const root = path.resolve(options.root);
  const dir = path.resolve(options.deployDir ?? path.join(root, 'deploy'));
  const rel = (f: string) => path.relative(root, path.join(dir, f)) || f;
  const problems: string[] = [];
  const skipped: string[] = [];
  const ran: string[] = [];
  const add = (file: string, list: string[]) => problems.push(...list.map((p) => `${file}: ${p}`));

  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    allowScripts?: Record<string, boolean>;
  };

  // Dockerfile, .dockerignore, and what bin/concierge needs in the image.
  const dockerfileText = read(path.join(dir, FILES.dockerfile), problems);
  const ignoreText = read(path.join(dir, FILES.dockerignore), problems);
  if (dockerfileText !== null && ignoreText !== null) {
    const included = dockerignore(ignoreText);
    add(rel(FILES.dockerfile), checkDockerfile(dockerfileText, { included }));
    const copies = runtimeCopies(dockerfileText);
    const inputs = reachable(root, ['bin/concierge'], DEV_ONLY);
    const copied = (file: string) => copies.some((c) => file === c || file.startsWith(`${c}/`));
    add(rel(FILES.dockerfile), checkImageInputs(inputs, copied, pkg.dependencies ?? {}));
    add(rel(FILES.dockerignore), checkDockerignore(ignoreText, [...inputs.files, 'package-lock.json']));
    // The image installs with --ignore-scripts: right only while package.json approves no install script.
    const approved = Object.entries(pkg.allowScripts ?? {}).filter(([, v]) => v === true);
    if (approved.length && /--ignore-scripts/.test(dockerfileText)) {
      problems.push(
        `package.json allowScripts approves ${approved.map(([k]) => k).join(', ')}, ` +
          `but ${rel(FILES.dockerfile)} installs with --ignore-scripts`,
      );
    }
    ran.push('dockerfile', 'dockerignore', 'image inputs');
  }

  // Compose and its env file.
  const composeText = read(path.join(dir, FILES.compose), problems);
  if (composeText !== null) {
    const parsed = parseYaml(composeText);
    add(rel(FILES.compose), parsed.problems);
    if (parsed.value !== undefined) {
      const imageHasHealthcheck = (file: string) =>
        fs.existsSync(file) &&
        parseDockerfile(fs.readFileSync(file, 'utf8')).some(
          (i) => i.keyword === 'HEALTHCHECK' && !/^NONE\b/i.test(i.args),
        );
      add(rel(FILES.compose), checkCompose(parsed.value, { dir, imageHasHealthcheck }));
      add(rel(FILES.compose), checkConciergeCompose(parsed.value));
    }
    ran.push('compose');
  }
  const envText = read(path.join(dir, FILES.envExample), problems);
  if (envText !== null) {
    add(rel(FILES.envExample), checkEnvExample(envText, configKeys()));
    ran.push('env example');
  }

  // CloudFormation.
  const cfnFile = path.join(dir, FILES.cloudformation);
  const cfnText = read(cfnFile, problems);
  if (cfnText !== null) {
    const parsed = parseCloudFormation(cfnText);
    add(rel(FILES.cloudformation), parsed.problems);
    if (parsed.value !== undefined) {
      add(rel(FILES.cloudformation), checkTemplate(parsed.value));
      add(rel(FILES.cloudformation), checkConciergeStack(parsed.value, SERVICE_ACTIONS));
      add('server', checkAwsCalls(awsCalls(root), serviceActions(parsed.value)));
    }
    ran.push('cloudformation', 'aws calls');
    if (options.cfnLint !== false) {
      const lint = runCfnLint(cfnFile);
      if (lint.available) {
        add(`${rel(FILES.cloudformation)} (cfn-lint)`, lint.problems);
        ran.push('cfn-lint');
      } else {
        skipped.push('cfn-lint: not installed (pip install cfn-lint)');
      }
    }
  }
  skipped.push('docker build / docker compose config: no Docker engine or compose plugin on this machine');
  return { problems, skipped, ran };
}

/** The variables server/config.ts reads (README's configuration table mirrors them). */
export function configKeys(): string[] {
  return Object.keys(configSchema.shape);
}
