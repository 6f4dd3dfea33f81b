import { Router, type Request, type RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { ContactRepo } from '../contacts/repo';
import { toView, type ContactNews } from '../contacts/live';
import type { TranscriptTurn } from '../sentiment/repo';
import type { SentimentSummary } from '../sentiment/types';
import type { TenantRepo } from '../tenants/repo';
import { AppError, BadRequestError, UnauthorizedError } from '../errors';
import { mintStreamToken, requireAppAuth, verifyStreamToken } from './app-auth';

export interface AppRoutesDeps {
  contacts: ContactRepo;
  tenants: TenantRepo;
  news: ContactNews;
  redis: Redis;
  /** The service URL the app puts in the JWT's `aud`. */
  publicUrl: string;
  /** Server-only key for stream tokens. */
  streamKey: Uint8Array;
  prefix: string;
  /** Requests per minute per tenant on /v1/app. */
  rpm?: number;
  /** Live sentiment: when present, the event stream also carries `event: sentiment`. */
  sentiment?: {
    news: ContactNews;
    summary(tenantId: string, initialContactId: string): Promise<SentimentSummary | null>;
    /** When present, every sentiment change is followed by `event: transcript` (the last turns). */
    transcript?(tenantId: string, initialContactId: string): Promise<TranscriptTurn[]>;
  };
}

const contactId = z.string().regex(/^[A-Za-z0-9-]{1,128}$/, 'a Connect contact id');
const ticketId = z.coerce.number().int().positive();

function param<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new BadRequestError(
      `${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      undefined,
      'invalid_parameter',
    );
  return parsed.data;
}

/** Fixed one-minute window per tenant in Redis: plenty for a sidebar, a wall against a runaway loop. */
export function rateLimit(redis: Redis, prefix: string, rpm: number): RequestHandler {
  return async (_req, res, next) => {
    const key = `${prefix}:app-rate:${res.locals.tenant as string}:${Math.floor(Date.now() / 60_000)}`;
    let count: number;
    try {
      count = await redis.incr(key);
      if (count === 1) await redis.expire(key, 120);
    } catch {
      return next(); // the limiter must not take the app down with Redis
    }
    if (count > rpm) {
      res.setHeader('Retry-After', String(60 - Math.floor((Date.now() / 1000) % 60)));
      return next(new AppError('rate_limited', 'Too many requests from this account; retry shortly', 429));
    }
    next();
  };
}

const TRANSCRIPT_GAP_MS = 250;

/**
 * Runs `fn` one call at a time: a call made while one runs is merged with any other made meanwhile
 * into a single run after it (each run reads the latest state, so nothing is missed and a slower
 * read never overtakes a newer one). Errors are swallowed: the next news tries again.
 */
function serially(fn: () => Promise<void>): () => Promise<void> {
  let chain: Promise<void> = Promise.resolve();
  let waiting = false;
  return () => {
    if (waiting) return chain;
    waiting = true;
    chain = chain
      .then(() => {
        waiting = false;
        return fn();
      })
      .catch(() => undefined);
    return chain;
  };
}

/** /v1/app: what the Zendesk app calls. The tenant comes from the verified JWT, never from the URL or body. */
export function appRouter(deps: AppRoutesDeps): Router {
  const router = Router();
  const cors: RequestHandler = (_req, res, next) => {
    // The event stream is fetched by the app's iframe directly (proxied requests cannot stream); it is
    // authorised by its token, not by cookies, so any origin may read it.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    next();
  };

  router.get('/v1/app/contacts/:contactId/events', cors, async (req: Request, res) => {
    const id = param(contactId, req.params.contactId, 'contactId');
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    if (!token) throw new UnauthorizedError('A stream token is required (?token=…)', 'missing_token');
    const grant = await verifyStreamToken(token, {
      key: deps.streamKey,
      contactId: id,
      consume: async (jti, expiresAt) =>
        (await deps.redis.set(
          `${deps.prefix}:stream-jti:${jti}`,
          '1',
          'PXAT',
          expiresAt.getTime() + 5000,
          'NX',
        )) === 'OK',
    });
    const first = await deps.contacts.byContactId(grant.tenantId, id);
    if (!first) throw new AppError('not_found', 'Unknown contact', 404);
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const send = async () => {
      const c = await deps.contacts.byContactId(grant.tenantId, id);
      if (c) res.write(`event: state\ndata: ${JSON.stringify(toView(c, id))}\n\n`);
    };
    res.write(`retry: 3000\n`);
    // Sentiment news is subscribed before the first read, so nothing published in between is lost.
    const live = deps.sentiment;
    let lastSentiment = '';
    let lastTranscript = '';
    // The transcript snippets: after a sentiment change, on their own chain so that the sentiment
    // event never waits for this read, at most one read per TRANSCRIPT_GAP_MS per stream. The text
    // goes to the agent's own browser only, never to Redis or logs.
    const sendTranscript = async () => {
      const turns = (await live?.transcript?.(grant.tenantId, first.initialContactId)) ?? [];
      const text = JSON.stringify({ contactId: first.initialContactId, turns });
      if (turns.length && text !== lastTranscript) res.write(`event: transcript\ndata: ${text}\n\n`);
      lastTranscript = turns.length ? text : lastTranscript;
      await new Promise((r) => setTimeout(r, TRANSCRIPT_GAP_MS));
    };
    const queueTranscript = serially(sendTranscript);
    const sendSentiment = async () => {
      const summary = await live?.summary(grant.tenantId, first.initialContactId);
      const data = summary ? JSON.stringify(summary) : '';
      const changed = data !== '' && data !== lastSentiment;
      if (changed) res.write(`event: sentiment\ndata: ${data}\n\n`);
      lastSentiment = data || lastSentiment;
      if (changed && live?.transcript) void queueTranscript();
    };
    const queueSentiment = serially(sendSentiment);
    const unsubscribeSentiment = live
      ? await live.news.subscribe(grant.tenantId, first.initialContactId, () => void queueSentiment())
      : () => undefined;
    await send();
    await queueSentiment();
    const unsubscribe = await deps.news.subscribe(
      grant.tenantId,
      first.initialContactId,
      () => void send().catch(() => undefined),
    );
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      unsubscribeSentiment();
    });
  });

  const auth = requireAppAuth({
    audience: deps.publicUrl,
    secretFor: (tenantId) => deps.tenants.appSecret(tenantId),
  });
  const limited = rateLimit(deps.redis, deps.prefix, deps.rpm ?? 600);

  router.get('/v1/app/contacts/by-ticket/:ticketId', auth, limited, async (req, res) => {
    const c = await deps.contacts.byTicket(
      res.locals.tenant as string,
      param(ticketId, req.params.ticketId, 'ticketId'),
    );
    res.json({ contact: c ? toView(c) : null });
  });

  router.get('/v1/app/contacts/:contactId', auth, limited, async (req, res) => {
    const id = param(contactId, req.params.contactId, 'contactId');
    const c = await deps.contacts.byContactId(res.locals.tenant as string, id);
    res.json({ contact: c ? toView(c, id) : null });
  });

  router.post('/v1/app/stream-tokens', auth, limited, async (req, res) => {
    const body = z.object({ contactId }).safeParse(req.body);
    if (!body.success)
      throw new BadRequestError('Body must be { "contactId": "<Connect contact id>" }', body.error.issues);
    const tenantId = res.locals.tenant as string;
    // Only for a contact of this tenant: a token never opens another account's stream.
    if (!(await deps.contacts.byContactId(tenantId, body.data.contactId)))
      throw new AppError('not_found', 'Unknown contact', 404);
    res.json(await mintStreamToken({ key: deps.streamKey, tenantId, contactId: body.data.contactId }));
  });

  return router;
}
