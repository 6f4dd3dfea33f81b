import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Scope } from 'nock';
import YAML from 'yaml';

/**
 * Checks requests against Zendesk's own Support API OpenAPI file, so tests and the local Zendesk double
 * catch a body Zendesk would refuse. The spec is parsed once per process (cached as JSON in the OS temp
 * folder, since YAML parsing takes a second) and each operation's body schema is compiled on first use.
 */

export const ZENDESK_SPEC_PATH =
  process.env.ZENDESK_SPEC_PATH ?? path.resolve(__dirname, '../../shared/specs/zendesk-support-api.oas.yaml');

type Json = Record<string, unknown>;

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: { type?: string };
}

interface Operation {
  method: string;
  template: string;
  operationId: string;
  regex: RegExp;
  /** Names of `{params}` in the template, in order. */
  pathParamNames: string[];
  literalSegments: number;
  parameters: Parameter[];
  bodySchema: unknown;
  bodyRequired: boolean;
  validator?: ValidateFunction;
}

interface Spec {
  ajv: Ajv;
  operations: Operation[];
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
const SPEC_ID = 'zendesk-support-spec';
let loaded: Spec | undefined;

function readSpecDocument(file: string): Json {
  const stat = fs.statSync(file);
  const tag = crypto
    .createHash('sha1')
    .update(`${file}:${stat.size}:${stat.mtimeMs}`)
    .digest('hex')
    .slice(0, 16);
  const cache = path.join(os.tmpdir(), `concierge-zendesk-spec-${tag}.json`);
  try {
    return JSON.parse(fs.readFileSync(cache, 'utf8')) as Json;
  } catch {
    const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as Json;
    // Write then rename, so a parallel Jest worker never reads half a file.
    const tmp = `${cache}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(doc));
    fs.renameSync(tmp, cache);
    return doc;
  }
}

/** Local `#/components/...` references inside an inline schema must point into the registered spec. */
function rebase(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rebase);
  if (node && typeof node === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#') ? `${SPEC_ID}${v}` : rebase(v);
    }
    return out;
  }
  return node;
}

function resolveLocal(doc: Json, ref: string): unknown {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>(
      (node, key) => (node && typeof node === 'object' ? (node as Json)[key] : undefined),
      doc,
    );
}

function loadSpec(): Spec {
  if (loaded) return loaded;
  const doc = readSpecDocument(ZENDESK_SPEC_PATH);
  // OpenAPI 3.0: `nullable` is understood by Ajv; `example`, `readOnly`… and formats such as "int" are not
  // JSON Schema, so strict mode is off and unknown formats are ignored rather than fatal.
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false, validateSchema: false });
  addFormats(ajv);
  ajv.addSchema({ components: doc.components }, SPEC_ID);

  const deref = (p: unknown): Parameter | undefined => {
    const v = p && typeof p === 'object' && '$ref' in p ? resolveLocal(doc, String((p as Json).$ref)) : p;
    return v && typeof v === 'object' ? (v as Parameter) : undefined;
  };

  const operations: Operation[] = [];
  for (const [template, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    const pathParamNames = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    const pattern = template
      .split('/')
      .map((seg) => (/^\{[^}]+\}$/.test(seg) ? '([^/]+)' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    const shared = ((item.parameters as unknown[]) ?? []).map(deref).filter((p): p is Parameter => !!p);
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const requestBody = op.requestBody as
        { required?: boolean; content?: Record<string, { schema?: unknown }> } | undefined;
      const own = ((op.parameters as unknown[]) ?? []).map(deref).filter((p): p is Parameter => !!p);
      operations.push({
        method: method.toUpperCase(),
        template,
        operationId: String(op.operationId ?? `${method} ${template}`),
        regex: new RegExp(`^${pattern}$`),
        pathParamNames,
        literalSegments: template.split('/').filter((s) => s && !s.startsWith('{')).length,
        parameters: [...shared, ...own],
        bodySchema: requestBody?.content?.['application/json']?.schema,
        bodyRequired: requestBody?.required === true,
      });
    }
  }
  loaded = { ajv, operations };
  return loaded;
}

export interface MatchedOperation {
  operationId: string;
  template: string;
}

function splitTarget(pathWithQuery: string): { pathname: string; query: URLSearchParams } {
  const url = new URL(pathWithQuery, 'http://zendesk.invalid');
  // node-zendesk appends ".json"; Zendesk treats /x.json and /x alike.
  return { pathname: url.pathname.replace(/\.json$/, '').replace(/\/+$/, ''), query: url.searchParams };
}

function match(method: string, pathname: string): { op?: Operation; values?: string[]; methods: string[] } {
  let best: { op: Operation; values: string[] } | undefined;
  const methods = new Set<string>();
  for (const op of loadSpec().operations) {
    const m = op.regex.exec(pathname);
    if (!m) continue;
    methods.add(op.method);
    // A literal segment beats a parameter: /users/search is not /users/{user_id}.
    if (op.method === method && (!best || op.literalSegments > best.op.literalSegments)) {
      best = { op, values: m.slice(1).map((v) => decodeURIComponent(v)) };
    }
  }
  return { ...best, methods: [...methods] };
}

/** The spec operation a request goes to, or null. */
export function findZendeskOperation(method: string, pathWithQuery: string): MatchedOperation | null {
  const { op } = match(method.toUpperCase(), splitTarget(pathWithQuery).pathname);
  return op ? { operationId: op.operationId, template: op.template } : null;
}

function formatError(e: ErrorObject): string {
  const where = `body${e.instancePath.replace(/\//g, '.')}`;
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'enum') return `${where} must be one of ${JSON.stringify(params.allowedValues)}`;
  if (e.keyword === 'required') return `${where}.${String(params.missingProperty)} is required`;
  if (e.keyword === 'additionalProperties')
    return `${where}.${String(params.additionalProperty)} is not allowed`;
  return `${where} ${e.message ?? 'is invalid'}`;
}

function parseBody(body: unknown): { value: unknown; error?: string } {
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    const text = body.toString();
    if (text.trim() === '') return { value: undefined };
    try {
      return { value: JSON.parse(text) };
    } catch {
      return { value: undefined, error: 'body is not valid JSON' };
    }
  }
  return { value: body };
}

const isEmpty = (v: unknown) =>
  v === undefined || v === null || (typeof v === 'object' && Object.keys(v as object).length === 0);

/**
 * Errors for a request Zendesk's spec would not accept; empty when it is valid. Checks that the operation
 * exists, path parameter types, required query parameters and the JSON body. Path parameters the spec
 * declares but the path lacks (it does so for POST /api/v2/channels/voice/tickets) are ignored.
 */
export function validateZendeskRequest(method: string, pathWithQuery: string, body: unknown): string[] {
  const verb = method.toUpperCase();
  const { pathname, query } = splitTarget(pathWithQuery);
  const { op, values, methods } = match(verb, pathname);
  if (!op || !values) {
    return [
      methods.length > 0
        ? `no such operation in the spec: ${verb} ${pathname} (the path allows ${methods.join(', ')})`
        : `no such operation in the spec: ${verb} ${pathname}`,
    ];
  }
  const errors: string[] = [];
  for (const p of op.parameters) {
    if (p.in === 'path') {
      const i = op.pathParamNames.indexOf(p.name);
      if (i < 0) continue;
      const v = values[i] ?? '';
      if (p.schema?.type === 'integer' && !/^-?\d+$/.test(v))
        errors.push(`path parameter ${p.name} must be an integer`);
      if (p.schema?.type === 'number' && Number.isNaN(Number(v)))
        errors.push(`path parameter ${p.name} must be a number`);
    } else if (p.in === 'query' && p.required && !query.has(p.name)) {
      errors.push(`query parameter ${p.name} is required`);
    }
  }

  const parsed = parseBody(body);
  if (parsed.error) return [...errors, parsed.error];
  if (!op.bodySchema) {
    if (!isEmpty(parsed.value)) errors.push(`${op.operationId} takes no request body`);
    return errors;
  }
  if (parsed.value === undefined) {
    if (op.bodyRequired) errors.push(`${op.operationId} requires a JSON body`);
    return errors;
  }
  op.validator ??= loadSpec().ajv.compile(rebase(op.bodySchema) as object);
  if (!op.validator(parsed.value)) {
    errors.push(...new Set((op.validator.errors ?? []).map(formatError)));
  }
  return errors;
}

/** Throws with every spec error of the request, naming the operation. */
export function expectValidZendeskRequest(method: string, pathWithQuery: string, body: unknown): void {
  const errors = validateZendeskRequest(method, pathWithQuery, body);
  if (errors.length > 0) {
    throw new Error(
      `${method.toUpperCase()} ${pathWithQuery.split('?')[0]} does not match the Zendesk spec:\n  ${errors.join('\n  ')}`,
    );
  }
}

export interface SpecViolation {
  method: string;
  path: string;
  errors: string[];
}

/**
 * Checks every request a nock scope intercepts; assert `violations` is empty after the test (a throw inside
 * nock would surface as a confusing network error in the code under test instead).
 */
export function checkZendeskSpec(scope: Scope, violations: SpecViolation[] = []): SpecViolation[] {
  scope.on('request', (req: { method: string; path: string }, _interceptor: unknown, body: string) => {
    const errors = validateZendeskRequest(req.method, req.path, body);
    if (errors.length > 0)
      violations.push({ method: req.method, path: req.path.split('?')[0] ?? req.path, errors });
  });
  return violations;
}

/** Parses the spec now (e.g. in beforeAll), so the first request of a timed test does not pay for it. */
export function preloadZendeskSpec(): void {
  loadSpec();
}
