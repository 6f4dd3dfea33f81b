/**
 * What the service's own sources say about deployment: which AWS SDK commands they send (→ the IAM
 * actions the service policy must allow), and which files and packages `bin/concierge` can load (→ what
 * the image must contain, given that it copies only some folders and installs production dependencies).
 */
import fs from 'node:fs';
import path from 'node:path';
import { builtinModules } from 'node:module';

/**
 * IAM action of every AWS SDK command the service may send, per client package. Converse and
 * ConverseStream have no IAM actions of their own: Bedrock authorizes them as InvokeModel and
 * InvokeModelWithResponseStream. ListRealtimeContactAnalysisSegments belongs to the Contact Lens client
 * but its IAM action has the `connect:` prefix.
 */
export const SDK_COMMAND_ACTIONS: Record<string, Record<string, string>> = {
  'client-connect': {
    DescribeContact: 'connect:DescribeContact',
    DescribeUser: 'connect:DescribeUser',
    SearchContacts: 'connect:SearchContacts',
    ListRealtimeContactAnalysisSegmentsV2: 'connect:ListRealtimeContactAnalysisSegmentsV2',
  },
  'client-connect-contact-lens': {
    ListRealtimeContactAnalysisSegments: 'connect:ListRealtimeContactAnalysisSegments',
  },
  'client-bedrock-runtime': {
    InvokeModel: 'bedrock:InvokeModel',
    InvokeModelWithResponseStream: 'bedrock:InvokeModelWithResponseStream',
    Converse: 'bedrock:InvokeModel',
    ConverseStream: 'bedrock:InvokeModelWithResponseStream',
  },
  'client-marketplace-metering': {
    BatchMeterUsage: 'aws-marketplace:BatchMeterUsage',
  },
};

export function listFiles(dir: string, accept: (file: string) => boolean): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...listFiles(full, accept));
    } else if (accept(full)) {
      out.push(full);
    }
  }
  return out.sort();
}

const isSource = (f: string) => /\.(ts|tsx|mts|cts|js|cjs|mjs)$/.test(f) && !/\.test\.tsx?$/.test(f);

export interface AwsCall {
  file: string;
  client: string;
  command: string;
  action: string | undefined;
}

/** Every `XxxCommand` imported (as a value) from an `@aws-sdk/client-*` package under the given folders. */
export function awsCalls(root: string, folders = ['server', 'workers']): AwsCall[] {
  const calls: AwsCall[] = [];
  const importRe = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*['"]@aws-sdk\/(client-[a-z0-9-]+)['"]/g;
  for (const file of folders.flatMap((f) => listFiles(path.join(root, f), isSource))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(importRe)) {
      if (m[1]) continue; // import type { ... }
      const client = m[3] ?? '';
      for (const raw of (m[2] ?? '').split(',')) {
        const name =
          raw
            .trim()
            .split(/\s+as\s+/)[0]
            ?.trim() ?? '';
        if (!name || name.startsWith('type ') || !name.endsWith('Command')) continue;
        const command = name.slice(0, -'Command'.length);
        calls.push({
          file: path.relative(root, file),
          client,
          command,
          action: SDK_COMMAND_ACTIONS[client]?.[command],
        });
      }
    }
  }
  return calls;
}

/** Problems when the service sends an AWS command the policy does not allow (or that has no mapping). */
export function checkAwsCalls(calls: AwsCall[], policyActions: readonly string[]): string[] {
  const problems: string[] = [];
  for (const c of calls) {
    if (!c.action) {
      problems.push(
        `${c.file}: @aws-sdk/${c.client} ${c.command}Command has no IAM action in SDK_COMMAND_ACTIONS ` +
          `(scripts/deploy-check/sources.ts): add it there and to deploy/cloudformation.yaml's service policy`,
      );
    } else if (!policyActions.includes(c.action)) {
      problems.push(
        `${c.file}: calls ${c.command} (${c.action}), which deploy/cloudformation.yaml's service policy does not allow`,
      );
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// What `node bin/concierge` can load

const BUILTINS = new Set(builtinModules);

/** Runtime module specifiers of a source file: imports, re-exports, require() and import(), not types. */
export function specifiers(text: string): string[] {
  const out: string[] = [];
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const staticRe = /(?:^|[;\n])\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]/g;
  for (const m of code.matchAll(staticRe)) {
    if (m[2]) continue; // import type / export type
    const clause = m[3] ?? '';
    const braces = /\{([^}]*)\}/.exec(clause);
    const outside = clause.replace(/\{[^}]*\}/, '').replace(/[,\s]/g, '');
    if (braces && !outside) {
      const names = (braces[1] ?? '')
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean);
      if (names.length > 0 && names.every((n) => n.startsWith('type '))) continue; // { type A, type B }
    }
    out.push(m[4] ?? '');
  }
  for (const m of code.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) out.push(m[1] ?? '');
  for (const m of code.matchAll(/(?<![\w.])(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    // `typeof import('x')` is a type; the require next to it, if any, is caught on its own.
    const before = code.slice(Math.max(0, (m.index ?? 0) - 8), m.index ?? 0);
    if (/typeof\s*$/.test(before)) continue;
    out.push(m[1] ?? '');
  }
  return out;
}

function resolveRelative(from: string, spec: string): string | null {
  const base = path.resolve(path.dirname(from), spec);
  const candidates = [
    base,
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.mjs$/, '.mts'),
    base.replace(/\.cjs$/, '.cts'),
    `${base}.ts`,
    `${base}.tsx`,
    `${base}.js`,
    `${base}.json`,
    path.join(base, 'index.ts'),
    path.join(base, 'index.js'),
  ];
  return candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile()) ?? null;
}

export const packageName = (spec: string): string =>
  spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec);

export interface ImageInputs {
  files: string[];
  packages: Map<string, string>;
  unresolved: string[];
}

/**
 * Walks every runtime import reachable from the entry files (relative to root). `devOnly` files (relative
 * to root) are not followed: commands that only run from a clone (the demo, with its doubles and
 * ../shared datasets) load them on demand and say so when they are missing.
 */
export function reachable(root: string, entries: string[], devOnly: string[] = []): ImageInputs {
  const skip = new Set(devOnly.map((f) => path.resolve(root, f)));
  const seen = new Set<string>();
  const packages = new Map<string, string>();
  const unresolved: string[] = [];
  const queue = entries.map((e) => path.resolve(root, e));
  while (queue.length) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    if (file.endsWith('.json')) continue;
    for (const spec of specifiers(fs.readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) {
        const target = resolveRelative(file, spec);
        if (target && skip.has(target)) continue;
        if (target) queue.push(target);
        else unresolved.push(`${path.relative(root, file)}: ${spec}`);
      } else if (!spec.startsWith('node:') && !BUILTINS.has(packageName(spec))) {
        const name = packageName(spec);
        if (!packages.has(name)) packages.set(name, path.relative(root, file));
      }
    }
  }
  return { files: [...seen].map((f) => path.relative(root, f)).sort(), packages, unresolved };
}

/**
 * Problems when `bin/concierge` can load a file the image does not copy, or a package that is not a
 * production dependency (the image installs with --omit=dev).
 */
export function checkImageInputs(
  inputs: ImageInputs,
  copied: (file: string) => boolean,
  dependencies: Record<string, string>,
): string[] {
  const problems: string[] = [];
  for (const u of inputs.unresolved) problems.push(`import not found: ${u}`);
  for (const file of inputs.files) {
    if (!copied(file)) {
      problems.push(`${file} is loaded by bin/concierge but not copied into the image (deploy/Dockerfile)`);
    }
  }
  for (const [name, from] of inputs.packages) {
    if (!(name in dependencies)) {
      problems.push(
        `${from} loads ${name}, which is not in package.json "dependencies": the image installs --omit=dev`,
      );
    }
  }
  return problems;
}
