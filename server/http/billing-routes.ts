import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Billing } from '../billing/service';
import { reportCsv } from '../billing/reports';
import type { TenantRepo } from '../tenants/repo';
import { BadRequestError, ForbiddenError } from '../errors';
import { requireAppAuth, type AppAuth } from './app-auth';

export interface BillingRoutesDeps {
  billing: Billing;
  tenants: TenantRepo;
  /** The service URL the app puts in the JWT's `aud`. */
  publicUrl: string;
  now?: () => Date;
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

/**
 * Admins only. The app signs `role` into the JWT from `currentUser().role`; Zendesk's proxy signs the token
 * with the installation's secret, so the claim is authentic to the account, not to one person: it keeps
 * billing out of agents' everyday views, but an agent who crafts requests through the app framework could
 * assert it (see README, "Resolution billing").
 */
export const requireAdmin: RequestHandler = (_req, res, next) => {
  const auth = res.locals.appAuth as AppAuth | undefined;
  if (auth?.claims.role !== 'admin')
    throw new ForbiddenError('Billing is for Zendesk admins (role claim "admin")', 'admin_only');
  next();
};

/** /v1/app/billing/...: usage, automation rate, the resolutions behind a figure, the usage report. */
export function billingRouter(deps: BillingRoutesDeps): Router {
  const router = Router();
  const now = () => deps.now?.() ?? new Date();
  const auth = requireAppAuth({
    audience: deps.publicUrl,
    secretFor: (tenantId) => deps.tenants.appSecret(tenantId),
  });
  router.use('/v1/app/billing', auth, requireAdmin);

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
