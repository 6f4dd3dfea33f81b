import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import YAML from 'yaml';

/**
 * Checks requests against Zendesk's Webhooks API OpenAPI file (the Support spec does not cover
 * /api/v2/webhooks): the operation must exist and its JSON body must match. Used by the Zendesk double.
 */

export const WEBHOOKS_SPEC_PATH = path.resolve(__dirname, '../../shared/specs/zendesk-webhooks-api.oas.yaml');
const SPEC_ID = 'zendesk-webhooks-spec';
const PREFIX = '/api/v2';

type Json = Record<string, unknown>;
interface Operation {
  method: string;
  regex: RegExp;
  literalSegments: number;
  bodySchema: unknown;
  validator?: ValidateFunction;
}

let loaded: { ajv: Ajv; operations: Operation[] } | undefined;

function rebase(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rebase);
  if (node && typeof node === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(node))
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#') ? `${SPEC_ID}${v}` : rebase(v);
    return out;
  }
  return node;
}

function load() {
  if (loaded) return loaded;
  const doc = YAML.parse(fs.readFileSync(WEBHOOKS_SPEC_PATH, 'utf8')) as Json;
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false, validateSchema: false });
  ajv.addSchema({ components: doc.components }, SPEC_ID);
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    const pattern = `${PREFIX}${template}`
      .split('/')
      .map((seg) => (/^\{[^}]+\}$/.test(seg) ? '([^/]+)' : seg))
      .join('/');
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const body = op.requestBody as { content?: Record<string, { schema?: unknown }> } | undefined;
      operations.push({
        method: method.toUpperCase(),
        regex: new RegExp(`^${pattern}$`),
        literalSegments: template.split('/').filter((s) => s && !s.startsWith('{')).length,
        bodySchema: body?.content?.['application/json']?.schema,
      });
    }
  }
  loaded = { ajv, operations };
  return loaded;
}

export const isWebhooksPath = (pathname: string): boolean => pathname.startsWith(`${PREFIX}/webhooks`);

/** Errors for a request the Webhooks spec would not accept; empty when valid. */
export function validateWebhooksRequest(method: string, pathname: string, rawBody: string): string[] {
  const spec = load();
  const clean = pathname.replace(/\.json$/, '').replace(/\/+$/, '');
  const op = spec.operations
    .filter((o) => o.method === method.toUpperCase() && o.regex.test(clean))
    .sort((a, b) => b.literalSegments - a.literalSegments)[0];
  if (!op) return [`no such operation in the webhooks spec: ${method} ${clean}`];
  if (rawBody.trim() === '') return [];
  if (!op.bodySchema) return [`${method} ${clean} takes no request body`];
  let value: unknown;
  try {
    value = JSON.parse(rawBody);
  } catch {
    return ['body is not valid JSON'];
  }
  op.validator ??= spec.ajv.compile(rebase(op.bodySchema) as object);
  if (op.validator(value)) return [];
  return (op.validator.errors ?? []).map(
    (e) => `body${e.instancePath.replace(/\//g, '.')} ${e.message ?? 'is invalid'}`,
  );
}
