import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Billing } from '../billing/service';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyZendeskSignature } from '../billing/signature';
import { webhookPayloadSchema } from '../billing/types';
import type { Queues } from '../queues/contracts';
import { sameDigest, sha256 } from '../store/crypto';
import { BadRequestError, UnauthorizedError, UnavailableError } from '../errors';
import { eventKeyFor } from '../billing/inbox';
import { WakeUps } from '../billing/wakeups';

export interface WebhookRoutesDeps {
  billing: Billing;
  queues: Queues;
  logger: Logger;
}

const TENANT = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Our triggers send a few hundred bytes; anything much larger is not ours. */
const BODY_LIMIT = '32kb';

/**
 * POST /v1/zendesk/webhooks/:tenant — what the triggers of setup-webhooks call.
 *
 * Order matters: the bearer token is checked from the headers alone, then the raw bytes are read (never
 * parsed) and their signature checked, and only a delivery that passed both is parsed as JSON and
 * validated. The tenant in the path only selects which secrets to check; every refusal is the same 401.
 * 200 is answered once the event is in the Postgres inbox; the queue is only a wake-up call.
 */
export function webhookRouter(deps: WebhookRoutesDeps): Router {
  const router = Router();
  const wakeUps = new WakeUps(deps.queues, deps.logger);
  const refuse = (reason: string) => {
    deps.billing.metrics.webhooks.inc({ outcome: 'rejected' });
    return new UnauthorizedError(`Webhook refused: ${reason}`, 'invalid_webhook');
  };

  const bearer = async (req: Request, res: Response, next: NextFunction) => {
    const tenantId = String(req.params.tenant ?? '');
    if (!TENANT.test(tenantId)) throw refuse('unknown account or bad credentials');
    let verifier;
    try {
      verifier = await deps.billing.auth.verifier(tenantId);
    } catch (err) {
      throw new UnavailableError('Database unavailable; retry later', 'database_unavailable', { cause: err });
    }
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!verifier || !match?.[1] || !sameDigest(verifier.bearerHash, sha256(match[1])))
      throw refuse('unknown account or bad credentials');
    res.locals.tenant = tenantId;
    res.locals.signingSecret = verifier.signingSecret;
    next();
  };

  router.post(
    '/v1/zendesk/webhooks/:tenant',
    bearer,
    // Raw bytes whatever the content type: the signature covers them exactly as sent.
    express.raw({ type: () => true, limit: BODY_LIMIT }),
    async (req: Request, res: Response) => {
      const tenantId = res.locals.tenant as string;
      const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const timestamp = req.get(TIMESTAMP_HEADER);
      const problem = verifyZendeskSignature({
        secret: res.locals.signingSecret as string,
        signature: req.get(SIGNATURE_HEADER),
        timestamp,
        rawBody,
      });
      if (problem) throw refuse(problem === 'stale' ? 'stale or missing timestamp' : 'bad signature');

      let json: unknown;
      try {
        json = JSON.parse(rawBody.toString('utf8'));
      } catch {
        deps.billing.metrics.webhooks.inc({ outcome: 'rejected' });
        throw new BadRequestError('Body is not valid JSON', undefined, 'invalid_json');
      }
      const parsed = webhookPayloadSchema.safeParse(json);
      if (!parsed.success) {
        deps.billing.metrics.webhooks.inc({ outcome: 'rejected' });
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
          {
            cause: err,
          },
        );
      }
      deps.billing.metrics.webhooks.inc({ outcome: fresh ? 'accepted' : 'duplicate' });
      if (fresh)
        wakeUps.add({ tenantId, ticketId: parsed.data.ticket_id, eventKey: eventKeyFor(parsed.data) });
      res.status(200).json({ accepted: fresh ? 1 : 0, duplicates: fresh ? 0 : 1 });
    },
  );
  return router;
}
