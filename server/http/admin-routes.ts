import crypto from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { ALL_QUEUES, type Queues } from '../queues/contracts';

export const ADMIN_QUEUES_PATH = '/admin/queues';

/** Constant-time: hashes first, so the lengths compared are always equal. */
function same(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y);
}

/**
 * Operator authentication for /admin/*: `Authorization: Bearer <CONCIERGE_ADMIN_TOKEN>` (scripts), or HTTP
 * Basic with the token as password (any user name), so a browser can open the dashboard. Tenants' app
 * tokens and ingest keys never open it.
 */
export function requireAdminToken(token: string): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header)?.[1];
    let presented: string | undefined = bearer;
    if (!presented && basic) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      presented = colon >= 0 ? decoded.slice(colon + 1) : undefined;
    }
    if (presented && same(presented, token)) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', 'Basic realm="Concierge admin", charset="UTF-8"');
    res.status(401).json({ error: { code: 'unauthorized', message: 'Admin credentials required' } });
  };
}

/**
 * The queue dashboard (bull-board) over every queue of this deployment's prefix: counts, jobs, retry,
 * clean. Job data are ids only (see queues/contracts.ts), so the dashboard shows no personal data.
 */
export function adminQueuesRouter(deps: { queues: Queues; adminToken: string }): Router {
  const adapter = new ExpressAdapter();
  adapter.setBasePath(ADMIN_QUEUES_PATH);
  createBullBoard({
    queues: ALL_QUEUES.map((name) => new BullMQAdapter(deps.queues.get(name))),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'Concierge queues' } },
  });
  const router = Router();
  // The dashboard's pages and API must never be cached by a proxy: they sit behind credentials.
  router.use(ADMIN_QUEUES_PATH, requireAdminToken(deps.adminToken), (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.use(ADMIN_QUEUES_PATH, adapter.getRouter() as RequestHandler);
  return router;
}
