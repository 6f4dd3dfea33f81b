import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Billing } from '../billing/service';
import { reportCsv } from '../billing/reports';
import type { Tenant, TenantRepo } from '../tenants/repo';
import type { ZendeskApi } from '../zendesk/types';
import { BadRequestError, ForbiddenError, UnavailableError } from '../errors';
import { requireAppAuth, type AppAuth } from './app-auth';

export interface BillingRoutesDeps {
  billing: Billing;
  tenants: TenantRepo;
  /** The service URL the app puts in the JWT's `aud`. */
  publicUrl: string;
  now?: () => Date;
  /**
   * The tenant's Zendesk API: the role claim is checked against Zendesk's own record of the user (`sub`).
   * Without it only the signed claim is checked (tests of the routes alone).
   */
  zendeskFor?: (tenant: Tenant) => Promise<ZendeskApi>;
}

const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), 'a date');
const DAY_MS = 86_400_000;

const period = z.object({ from: date.optional(), to: date.optional() }).transform((p, ctx) => {
  const today = new Date().toISOString().slice(0, 10);
  const from = p.from ?? `${today.slice(0, 7)}-01`;
  const to = p.to ?? today;
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS;
  if (days < 0) ctx.addIssue({ code: 'custom', message: 'from must not be after to', path: ['from'] });
  if (days > 366) ctx.addIssue({ code: 'custom', message: 'at most 366 days at a time', path: ['to'] });
  return { from, to };
});

const resolutionsQuery = z
  .object({
    basis: z.enum(['solved', 'billable', 'credited']).default('solved'),
    kind: z.enum(['automated', 'ai_assisted', 'human']).optional(),
    state: z.enum(['in_window', 'billable', 'voided', 'credited', 'not_billable']).optional(),
    ticketId: z.coerce.number().int().positive().optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z
      .string()
      .regex(/^\d{1,15}-\d{1,19}$/, 'a cursor from nextCursor')
      .transform((c) => {
        const [ms, id] = c.split('-');
        return { solvedAt: new Date(Number(ms)).toISOString(), id: Number(id) };
      })
      .optional(),
  })
  .and(period);

const reportQuery = z.object({
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'YYYY-MM')
    .optional(),
  format: z.enum(['json', 'csv']).default('json'),
});

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new BadRequestError(
      'Invalid query',
      r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      'invalid_query',
    );
  return r.data;
}

const ROLE_TTL_MS = 5 * 60_000;
const ROLE_CACHE_MAX = 5_000;

/**
 * Admins only, from the verified app token. The app signs `role` (from `currentUser().role`) and `sub`
 * (the Zendesk user id) into the JWT that Zendesk's proxy signs with the installation's secret, so both
 * are authentic to the account but chosen by the app's code in the browser. So `role: admin` is only the
 * first gate: the service then asks Zendesk (with the tenant's own API credentials) for user `sub`'s role
 * and requires `admin` there too (cached 5 minutes). What remains possible is an agent who hand-crafts a
 * request naming a real admin's id as `sub`; see README, "Billing", for that limit.
 */
export function requireAdmin(
  opts: { roleOf?: (tenantId: string, userId: number) => Promise<string | null>; now?: () => number } = {},
): RequestHandler {
  const cache = new Map<string, { role: string | null; until: number }>();
  const now = opts.now ?? Date.now;
  return async (_req, res, next) => {
    const auth = res.locals.appAuth as AppAuth | undefined;
    if (!auth || auth.claims.role !== 'admin')
      throw new ForbiddenError('Billing is for Zendesk admins (role claim "admin")', 'admin_only');
    if (!opts.roleOf) return next();
    const userId = Number(auth.userId);
    if (!Number.isSafeInteger(userId) || userId <= 0)
      throw new ForbiddenError(
        'Billing is for Zendesk admins: the app token names no Zendesk user (sub)',
        'admin_only',
      );
    const key = `${auth.tenantId}\u0000${userId}`;
    let hit = cache.get(key);
    if (!hit || hit.until <= now()) {
      let role: string | null;
      try {
        role = await opts.roleOf(auth.tenantId, userId);
      } catch (err) {
        throw new UnavailableError("Zendesk did not confirm the user's role; try again", 'role_unconfirmed', {
          cause: err,
        });
      }
      if (cache.size >= ROLE_CACHE_MAX) cache.clear();
      hit = { role, until: now() + ROLE_TTL_MS };
      cache.set(key, hit);
    }
    if (hit.role !== 'admin')
      throw new ForbiddenError(
        'Billing is for Zendesk admins: Zendesk does not list this user as one',
        'admin_only',
      );
    next();
  };
}

/** /v1/app/billing/...: usage, automation rate, the resolutions behind a figure, the usage report. */
export function billingRouter(deps: BillingRoutesDeps): Router {
  const router = Router();
  const now = () => deps.now?.() ?? new Date();
  const auth = requireAppAuth({
    audience: deps.publicUrl,
    secretFor: (tenantId) => deps.tenants.appSecret(tenantId),
  });
  const zendeskFor = deps.zendeskFor;
  const roleOf = zendeskFor
    ? async (tenantId: string, userId: number) => {
        const tenant = await deps.tenants.get(tenantId);
        if (!tenant) return null;
        return (await zendeskFor(tenant)).getUserRole(userId, { priority: 'live' });
      }
    : undefined;
  router.use(
    '/v1/app/billing',
    auth,
    requireAdmin({
      ...(roleOf ? { roleOf } : {}),
      ...(deps.now ? { now: () => deps.now!().getTime() } : {}),
    }),
  );

  router.get('/v1/app/billing/usage', async (req, res) => {
    const p = parse(period, req.query);
    const tenantId = res.locals.tenant as string;
    const [usage, settings] = await Promise.all([
      deps.billing.reports.usage(tenantId, p.from, p.to, now()),
      deps.billing.settings.get(tenantId),
    ]);
    res.json({
      ...usage,
      windowHours: settings.windowHours,
      awsMarketplace: settings.awsCustomerAccountId !== null,
    });
  });

  router.get('/v1/app/billing/resolutions', async (req, res) => {
    const q = parse(resolutionsQuery, req.query);
    const result = await deps.billing.reports.resolutions(
      res.locals.tenant as string,
      {
        from: q.from,
        to: q.to,
        basis: q.basis,
        limit: q.limit,
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.state ? { state: q.state } : {}),
        ...(q.cursor !== undefined ? { before: q.cursor } : {}),
        ...(q.ticketId !== undefined ? { ticketId: q.ticketId } : {}),
      },
      now(),
    );
    res.json(result);
  });

  router.get('/v1/app/billing/report', async (req, res) => {
    const q = parse(reportQuery, req.query);
    const month = q.month ?? now().toISOString().slice(0, 7);
    const tenantId = res.locals.tenant as string;
    const report = await deps.billing.reports.monthly(tenantId, month, now());
    if (q.format === 'csv') {
      res
        .type('text/csv; charset=utf-8')
        .setHeader('content-disposition', `attachment; filename="concierge-usage-${tenantId}-${month}.csv"`);
      res.send(reportCsv(report));
      return;
    }
    res.json(report);
  });

  router.get('/v1/app/billing/exports', async (req, res) => {
    const q = parse(z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }), req.query);
    res.json({ records: await deps.billing.reports.meteringRecords(res.locals.tenant as string, q.limit) });
  });

  return router;
}
