import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { parseContactEvents } from '../connect/events';
import type { Inbox } from '../contacts/inbox';
import type { Queues } from '../queues/contracts';
import type { Tenant, TenantRepo } from '../tenants/repo';
import type { Metrics } from '../metrics';
import { sha256 } from '../store/crypto';
import { byteLimit, closeAfter, readBody } from './raw-body';
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
 *
 * Hundreds of deliveries a second per busy instance, machine to machine: one plain handler mounted ahead
 * of the app's middleware (no access-log line or browser headers, no body-parser: the raw bytes are read
 * here with the size limit), answered in one write. Refusals go to the app's error handler, logged with
 * their request id and reason.
 */
export function connectEventsIntake(deps: ConnectEventsDeps): RequestHandler {
  const limit = byteLimit(deps.bodyLimit);
  // No access log on this route: a refusal is worth a line instead.
  const refused = (req: Request, err: unknown) => {
    deps.metrics.intake.inc({ outcome: 'rejected' });
    if (err instanceof AppError && err.status < 500)
      deps.logger.info({ reqId: req.id, code: err.code, status: err.status }, 'contact events refused');
    return err;
  };

  const deliver = async (req: Request, res: Response) => {
    if (!isJson(req.headers['content-type']))
      throw new AppError('unsupported_media_type', 'Content-Type must be application/json', 415);
    const tenant = await authenticate(req, deps.tenants);
    const raw = await readBody(req, limit);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw new BadRequestError(
        `Body is not valid JSON: ${(err as Error).message}`,
        undefined,
        'invalid_json',
      );
    }
    const parsed = parseContactEvents(body);
    if (!parsed.ok) throw new BadRequestError('Invalid contact event', parsed.errors, 'invalid_event');
    if (tenant.connectInstanceArn) {
      const foreign = parsed.events.findIndex((e) => e.instanceArn !== tenant.connectInstanceArn);
      if (foreign >= 0) {
        throw new ForbiddenError(
          `Event ${foreign} belongs to Connect instance ${parsed.events[foreign]!.instanceArn}, not this tenant's`,
          'instance_mismatch',
        );
      }
    }
    let fresh, quiet;
    try {
      ({ fresh, quiet } = await deps.inbox.storeAndTriage(tenant.id, parsed.events));
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
    const live = new Set(fresh.filter((e) => LIVE_EVENTS.has(e.eventType)).map((e) => e.eventId));
    try {
      // Quiet events were stored as handled: their conversation's next event's job reads them.
      await deps.queues.enqueueContactSync(
        fresh
          .filter((e) => !quiet.has(e.eventId))
          .map((e) => ({ tenantId: tenant.id, eventId: e.eventId, initialContactId: e.initialContactId })),
        (p) => live.has(p.eventId),
      );
    } catch (err) {
      // Stored durably already: the sweeper enqueues these once Redis is back.
      deps.logger.warn(
        { err: (err as Error).message, tenantId: tenant.id },
        'queue unavailable; events left for the sweeper',
      );
    }
    const answer = JSON.stringify({ accepted: fresh.length, duplicates });
    res.writeHead(202, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(answer),
    });
    res.end(answer);
  };

  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'POST' || pathOf(req.url) !== PATH) return next();
    if (deps.requestId) req.id = deps.requestId(req, res);
    deliver(req, res).catch((err: unknown) => {
      closeAfter(err, res);
      next(refused(req, err));
    });
  };
}

const PATH = '/v1/connect/events';
const pathOf = (url: string) => {
  const q = url.indexOf('?');
  const p = q < 0 ? url : url.slice(0, q);
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
};
/** application/json, with or without parameters (charset). */
const isJson = (type: string | undefined) => /^application\/json\s*(;|$)/i.test(type ?? '');
