import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { Billing } from '../billing/service';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyZendeskSignature } from '../billing/signature';
import { webhookPayloadSchema } from '../billing/types';
import type { Queues } from '../queues/contracts';
import { BadRequestError, UnauthorizedError, UnavailableError } from '../errors';
import { closeAfter, readBody } from './raw-body';
import { WakeUps } from '../billing/wakeups';

export interface WebhookRoutesDeps {
  billing: Billing;
  queues: Queues;
  logger: Logger;
  /** Sets (and returns) the request id the error handler logs with; the access log is not on this route. */
  requestId?: (req: Request, res: Response) => string;
}

const PATH_PREFIX = '/v1/zendesk/webhooks/';
const TENANT = /^[a-z0-9][a-z0-9-]{0,62}$/;
const BEARER = /^Bearer\s+(\S+)$/i;
/** Our triggers send a few hundred bytes; anything much larger is not ours. */
const BODY_LIMIT = 32 * 1024;
const ANSWER = {
  accepted: JSON.stringify({ accepted: 1, duplicates: 0 }),
  duplicate: JSON.stringify({ accepted: 0, duplicates: 1 }),
};

/**
 * POST /v1/zendesk/webhooks/:tenant — what the triggers of setup-webhooks call.
 *
 * Order matters: the bearer token is checked from the headers alone, then the raw bytes are read (never
 * parsed) and their signature checked, and only a delivery that passed both is parsed as JSON and
 * validated. The tenant in the path only selects which secrets to check; every refusal is the same 401.
 * 200 is answered once the event is in the Postgres inbox; the queue is only a wake-up call.
 *
 * Zendesk delivers these by the thousand a second at peak, machine to machine, so this is one plain
 * handler mounted first, ahead of the app's middleware and routers: no access-log line or browser headers
 * (deliveries are counted in /metrics; a refusal is logged with its reason), no body-parser (the raw bytes
 * are read here, with the size limit), and the answer is written in one go. Refusals and failures go to
 * the app's error handler like any other route's.
 */
export function webhookIntake(deps: WebhookRoutesDeps): RequestHandler {
  const wakeUps = new WakeUps(deps.queues, deps.logger);
  const counted = {
    accepted: deps.billing.metrics.webhooks.labels({ outcome: 'accepted' }),
    duplicate: deps.billing.metrics.webhooks.labels({ outcome: 'duplicate' }),
    rejected: deps.billing.metrics.webhooks.labels({ outcome: 'rejected' }),
  };
  const refuse = (req: Request, tenantId: string, reason: string) => {
    counted.rejected.inc();
    // No access log on this route: a refusal is worth a line (a misconfigured trigger shows up here).
    deps.logger.info({ reqId: req.id, tenant: tenantId, reason }, 'webhook refused');
    return new UnauthorizedError(`Webhook refused: ${reason}`, 'invalid_webhook');
  };

  const deliver = async (req: Request, res: Response, tenantId: string) => {
    if (deps.requestId) req.id = deps.requestId(req, res);
    if (!TENANT.test(tenantId)) throw refuse(req, tenantId, 'unknown account or bad credentials');
    let verifier;
    try {
      verifier = await deps.billing.auth.verifier(tenantId);
    } catch (err) {
      throw new UnavailableError('Database unavailable; retry later', 'database_unavailable', { cause: err });
    }
    const bearer = BEARER.exec(req.headers.authorization ?? '')?.[1];
    if (!verifier || !bearer || !verifier.acceptsBearer(bearer))
      throw refuse(req, tenantId, 'unknown account or bad credentials');

    // Raw bytes whatever the content type: the signature covers them exactly as sent.
    const rawBody = await readBody(req, BODY_LIMIT);
    const timestamp = header(req, TIMESTAMP_HEADER);
    const problem = verifyZendeskSignature({
      secret: verifier.signingKey,
      signature: header(req, SIGNATURE_HEADER),
      timestamp,
      rawBody,
    });
    if (problem)
      throw refuse(req, tenantId, problem === 'stale' ? 'stale or missing timestamp' : 'bad signature');

    let json: unknown;
    try {
      json = JSON.parse(rawBody.toString('utf8'));
    } catch {
      counted.rejected.inc();
      throw new BadRequestError('Body is not valid JSON', undefined, 'invalid_json');
    }
    const parsed = webhookPayloadSchema.safeParse(json);
    if (!parsed.success) {
      counted.rejected.inc();
      throw new BadRequestError(
        'Not a Concierge ticket event',
        parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        'invalid_event',
      );
    }
    let fresh: boolean;
    try {
      fresh = await deps.billing.inbox.store(tenantId, parsed.data, new Date(timestamp!).toISOString());
    } catch (err) {
      throw new UnavailableError(
        'Database unavailable; nothing was stored, retry later',
        'database_unavailable',
        { cause: err },
      );
    }
    const answer = fresh ? ANSWER.accepted : ANSWER.duplicate;
    (fresh ? counted.accepted : counted.duplicate).inc();
    if (fresh) wakeUps.add(tenantId);
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(answer),
    });
    res.end(answer);
  };

  return (req: Request, res: Response, next: NextFunction) => {
    const tenantId = req.method === 'POST' ? tenantOf(req.url) : null;
    if (tenantId === null) return next();
    deliver(req, res, tenantId).catch((err: unknown) => {
      closeAfter(err, res);
      next(err);
    });
  };
}

/** The :tenant of /v1/zendesk/webhooks/:tenant[/][?…]; null for any other path. */
function tenantOf(url: string): string | null {
  if (!url.startsWith(PATH_PREFIX)) return null;
  const end = url.indexOf('?');
  let rest = url.slice(PATH_PREFIX.length, end < 0 ? url.length : end);
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  return rest.length > 0 && !rest.includes('/') ? rest : null;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};
