import { createHash } from 'node:crypto';
import express, { Router, type Request, type RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import { parsePostCallAnalysis, parseSegmentStream } from '../connect/contact-lens';
import { instanceIdFromArn } from '../connect/events';
import type { SentimentService } from '../sentiment/service';
import type { Tenant, TenantRepo } from '../tenants/repo';
import { AppError, BadRequestError, ForbiddenError, UnauthorizedError, UnavailableError } from '../errors';
import { requireAppAuth } from './app-auth';
import { rateLimit } from './app-routes';

export interface LiveRoutesDeps {
  tenants: TenantRepo;
  sentiment: SentimentService;
  logger: Logger;
  redis: Redis;
  /** Body limit of the segment stream endpoint (the post-call output may be larger: 10 MB). */
  bodyLimit: string;
  publicUrl: string;
  prefix: string;
  /** Requests per minute per tenant on /v1/app (shared with the other app routes). */
  rpm?: number;
}

const POST_CALL_LIMIT = '10mb';
const contactId = z.string().regex(/^[A-Za-z0-9-]{1,128}$/, 'a Connect contact id');

/**
 * The ingest key, as for /v1/connect/events: `Authorization: Bearer <key>`, or the
 * `X-Amz-Firehose-Access-Key` header a Firehose HTTP endpoint destination sends. Segments arrive
 * several times a second per call, so a recognised key is remembered for 30 s (by its hash).
 */
function ingestAuth(tenants: TenantRepo): RequestHandler {
  const known = new Map<string, { tenant: Tenant; until: number }>();
  return async (req, res, next) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    const key = bearer ?? req.get('x-amz-firehose-access-key');
    if (!key) return next(new UnauthorizedError('Authorization: Bearer <ingest key> is required'));
    const hash = createHash('sha256').update(key).digest('base64');
    const hit = known.get(hash);
    let tenant: Tenant | null = hit && hit.until > Date.now() ? hit.tenant : null;
    if (!tenant) {
      try {
        tenant = await tenants.byIngestKey(key);
      } catch (err) {
        return next(
          new UnavailableError('Database unavailable; retry later', 'database_unavailable', { cause: err }),
        );
      }
      if (!tenant) return next(new UnauthorizedError('Unknown ingest key'));
      if (known.size >= 1000) known.delete(known.keys().next().value!);
      known.set(hash, { tenant, until: Date.now() + 30_000 });
    }
    res.locals.tenant = tenant;
    next();
  };
}

const jsonOnly: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json'))
    return next(new AppError('unsupported_media_type', 'Content-Type must be application/json', 415));
  next();
};

/** A tenant bound to a Connect instance only takes data about that instance. */
function assertInstance(tenant: Tenant, instanceId: string | undefined, where: string): void {
  if (!tenant.connectInstanceArn || !instanceId) return;
  if (instanceIdFromArn(tenant.connectInstanceArn) !== instanceId)
    throw new ForbiddenError(
      `${where} belongs to Connect instance ${instanceId}, not this tenant's`,
      'instance_mismatch',
    );
}

/**
 * Live sentiment over HTTP:
 *   POST /v1/connect/contact-lens            the real-time segment stream (Kinesis records)
 *   POST /v1/connect/contact-lens/post-call  a post-call output file (S3 event → Lambda → here)
 *   GET  /v1/app/contacts/:contactId/sentiment  the conversation's sentiment summary (signed app call)
 * Ingest answers 2xx only once the data is in Postgres.
 */
export function liveRouter(deps: LiveRoutesDeps): Router {
  const router = Router();
  const auth = ingestAuth(deps.tenants);

  router.post(
    '/v1/connect/contact-lens',
    jsonOnly,
    auth,
    express.json({ limit: deps.bodyLimit, strict: true, type: 'application/json' }),
    async (req: Request, res) => {
      const tenant = res.locals.tenant as Tenant;
      const parsed = parseSegmentStream(req.body);
      if (!parsed.ok)
        throw new BadRequestError('Invalid Contact Lens segment record', parsed.errors, 'invalid_segments');
      parsed.events.forEach((e, i) => assertInstance(tenant, e.instanceId, `Record ${i}`));
      let result;
      try {
        result = await deps.sentiment.ingestStream(tenant.id, parsed.events);
      } catch (err) {
        throw new UnavailableError(
          'Database unavailable; nothing was stored, retry later',
          'database_unavailable',
          {
            cause: err,
          },
        );
      }
      const body = { accepted: result.accepted, duplicates: result.duplicates, events: parsed.events.length };
      // Firehose wants 200 and its request id echoed; everyone else gets 202 like /v1/connect/events.
      if (parsed.firehoseRequestId !== undefined)
        res.status(200).json({ requestId: parsed.firehoseRequestId, timestamp: Date.now(), ...body });
      else res.status(202).json(body);
      // After the answer: scoring, trend and fan-out. The segments are stored; this is derivable.
      if (result.changed.length) void deps.sentiment.refresh(tenant.id, result.changed, result.snapshots);
    },
  );

  router.post(
    '/v1/connect/contact-lens/post-call',
    jsonOnly,
    auth,
    express.json({ limit: POST_CALL_LIMIT, strict: true, type: 'application/json' }),
    async (req: Request, res) => {
      const tenant = res.locals.tenant as Tenant;
      const parsed = parsePostCallAnalysis(req.body);
      if (!parsed.ok)
        throw new BadRequestError('Invalid Contact Lens post-call output', parsed.errors, 'invalid_analysis');
      assertInstance(tenant, parsed.analysis.instanceId, 'The analysis');
      let result;
      try {
        result = await deps.sentiment.recordPostCallAnalysis(tenant.id, parsed.analysis);
      } catch (err) {
        throw new UnavailableError('Database or queue unavailable; retry later', 'unavailable', {
          cause: err,
        });
      }
      res.status(202).json({
        contactId: parsed.analysis.contactId,
        accepted: result.stored ? 1 : 0,
        duplicates: result.stored ? 0 : 1,
      });
    },
  );

  const appAuth = requireAppAuth({
    audience: deps.publicUrl,
    secretFor: (tenantId) => deps.tenants.appSecret(tenantId),
  });
  router.get(
    '/v1/app/contacts/:contactId/sentiment',
    appAuth,
    rateLimit(deps.redis, deps.prefix, deps.rpm ?? 600),
    async (req, res) => {
      const parsed = contactId.safeParse(req.params.contactId);
      if (!parsed.success)
        throw new BadRequestError('contactId: a Connect contact id', undefined, 'invalid_parameter');
      const tenantId = res.locals.tenant as string;
      const initial = await deps.sentiment.conversationOf(tenantId, parsed.data);
      res.json({ sentiment: await deps.sentiment.summary(tenantId, initial) });
    },
  );

  return router;
}
