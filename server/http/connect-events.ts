import express, { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { parseContactEvents } from '../connect/events';
import type { Inbox } from '../contacts/inbox';
import type { Queues } from '../queues/contracts';
import type { Tenant, TenantRepo } from '../tenants/repo';
import type { Metrics } from '../metrics';
import { sha256 } from '../store/crypto';
import { AppError, BadRequestError, ForbiddenError, UnauthorizedError, UnavailableError } from '../errors';

export interface ConnectEventsDeps {
  tenants: TenantRepo;
  inbox: Inbox;
  queues: Queues;
  metrics: Metrics;
  logger: Logger;
  bodyLimit: string;
  /** Sets (and returns) the request id the error handler logs with; the access log is not on this route. */
  requestId?: (req: Request, res: Response) => string;
}

const LIVE_EVENTS = new Set(['CONNECTED_TO_AGENT', 'INITIATED', 'QUEUED', 'CONNECTED_TO_SYSTEM']);

/**
 * Ingest keys seen recently (by digest, never the key): EventBridge sends many events per second per
 * tenant, and a database lookup each time is most of intake's cost. A revoked key stops working within
 * the TTL.
 */
const KEY_CACHE_TTL_MS = 30_000;
const keyCache = new Map<string, { tenant: Tenant; until: number }>();

/** Drops a tenant's cached keys (an uninstall through this process takes effect at once). */
export function forgetIngestKeys(tenantId: string): void {
  for (const [digest, hit] of keyCache) if (hit.tenant.id === tenantId) keyCache.delete(digest);
}

async function authenticate(req: Request, tenants: TenantRepo): Promise<Tenant> {
  const header = req.get('authorization') ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new UnauthorizedError('Authorization: Bearer <ingest key> is required');
  const digest = sha256(match[1]!);
  const hit = keyCache.get(digest);
  if (hit && hit.until > Date.now()) return hit.tenant;
  let tenant: Tenant | null;
  try {
    tenant = await tenants.byIngestKey(match[1]!);
  } catch (err) {
    throw new UnavailableError('Database unavailable; retry later', 'database_unavailable', { cause: err });
  }
  if (!tenant) throw new UnauthorizedError('Unknown ingest key');
  if (keyCache.size > 10_000) keyCache.clear();
  keyCache.set(digest, { tenant, until: Date.now() + KEY_CACHE_TTL_MS });
  return tenant;
}

/**
 * POST /v1/connect/events: EventBridge API destination target. Answers 202 only once every event is in
 * the Postgres inbox; the queue is a wake-up call, so a Redis outage delays work but loses nothing.
 */
export function connectEventsRouter(deps: ConnectEventsDeps): Router {
  const router = Router();
  // No access log on this route (hundreds of deliveries a second): a refusal is worth a line instead.
  const refused = (req: Request, err: unknown) => {
    deps.metrics.intake.inc({ outcome: 'rejected' });
    if (err instanceof AppError && err.status < 500)
      deps.logger.info({ reqId: req.id, code: err.code, status: err.status }, 'contact events refused');
    return err;
  };
  router.post(
    '/v1/connect/events',
    (req, res, next) => {
      if (deps.requestId) req.id = deps.requestId(req, res);
      if (!req.is('application/json')) {
        next(
          refused(req, new AppError('unsupported_media_type', 'Content-Type must be application/json', 415)),
        );
        return;
      }
      next();
    },
    async (req, res, next) => {
      try {
        res.locals.tenant = await authenticate(req, deps.tenants);
        next();
      } catch (err) {
        next(refused(req, err));
      }
    },
    express.json({ limit: deps.bodyLimit, strict: true, type: 'application/json' }),
    async (req, res) => {
      const tenant = res.locals.tenant as Tenant;
      const parsed = parseContactEvents(req.body);
      if (!parsed.ok)
        throw refused(req, new BadRequestError('Invalid contact event', parsed.errors, 'invalid_event'));
      if (tenant.connectInstanceArn) {
        const foreign = parsed.events.findIndex((e) => e.instanceArn !== tenant.connectInstanceArn);
        if (foreign >= 0) {
          throw refused(
            req,
            new ForbiddenError(
              `Event ${foreign} belongs to Connect instance ${parsed.events[foreign]!.instanceArn}, not this tenant's`,
              'instance_mismatch',
            ),
          );
        }
      }
      let fresh;
      try {
        fresh = await deps.inbox.store(tenant.id, parsed.events);
      } catch (err) {
        throw new UnavailableError(
          'Database unavailable; nothing was stored, retry later',
          'database_unavailable',
          {
            cause: err,
          },
        );
      }
      const duplicates = parsed.events.length - fresh.length;
      deps.metrics.intake.inc({ outcome: 'accepted' }, fresh.length);
      if (duplicates) deps.metrics.intake.inc({ outcome: 'duplicate' }, duplicates);
      try {
        await deps.queues.enqueueContactSync(
          fresh.map((e) => ({
            tenantId: tenant.id,
            eventId: e.eventId,
            initialContactId: e.initialContactId,
          })),
          (p) => LIVE_EVENTS.has(fresh.find((e) => e.eventId === p.eventId)?.eventType ?? ''),
        );
      } catch (err) {
        // Stored durably already: the sweeper enqueues these once Redis is back.
        deps.logger.warn(
          { err: (err as Error).message, tenantId: tenant.id },
          'queue unavailable; events left for the sweeper',
        );
      }
      res.status(202).json({ accepted: fresh.length, duplicates });
    },
  );
  return router;
}
