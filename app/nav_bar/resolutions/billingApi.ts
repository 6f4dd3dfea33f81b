/**
 * The billing endpoints the Resolutions view reads (server/http/billing-routes.ts; admins only):
 *
 *   GET /v1/app/billing/usage?from=YYYY-MM-DD&to=YYYY-MM-DD     → Usage
 *   GET /v1/app/billing/resolutions?from&to&basis&kind&state&limit&cursor → { resolutions, nextCursor }
 *   GET /v1/app/billing/report?month=YYYY-MM&format=csv        → the monthly usage report (CSV)
 *
 * Answers are checked here: a malformed one is a `bad_response` error, not a crash while drawing.
 */
import { ServiceError, type ServiceApi } from '../../api';

export type Kind = 'automated' | 'ai_assisted' | 'human';
export const KINDS: readonly Kind[] = ['automated', 'ai_assisted', 'human'];
export type ResolutionState = 'in_window' | 'billable' | 'voided' | 'credited' | 'not_billable';
const STATES: readonly ResolutionState[] = ['in_window', 'billable', 'voided', 'credited', 'not_billable'];

export interface UsageDay {
  date: string;
  resolutions: Record<Kind, number>;
  billable: number;
  credited: number;
}

export interface Usage {
  from: string;
  to: string;
  days: UsageDay[];
  totals: {
    resolutions: Record<Kind, number>;
    voided: number;
    billable: number;
    credited: number;
    net: number;
  };
  automationRate: number | null;
  inWindow: number;
  windowHours: number;
  awsMarketplace: boolean;
}

export interface Evidence {
  rule: string | null;
  humanAgents: number[];
  bots: number[];
  endUserCount: number;
  suggestions: { suggestionId: string; action: string }[];
  calls: { initialContactId: string; outcome: string | null }[];
  ticketUnavailable: boolean;
}

export interface Resolution {
  id: number;
  ticketId: number;
  kind: Kind;
  solvedAt: string;
  windowEndsAt: string;
  state: ResolutionState;
  reversal: { entry: 'void' | 'credit'; at: string; reason: string | null } | null;
  evidence: Evidence;
}

export interface ResolutionPage {
  resolutions: Resolution[];
  nextCursor: string | null;
}

export interface ResolutionQuery {
  from: string;
  to: string;
  basis?: 'solved' | 'billable' | 'credited';
  kind?: Kind;
  state?: ResolutionState;
  cursor?: string;
  limit?: number;
}

type Obj = Record<string, unknown>;
const bad = (what: string) =>
  new ServiceError(0, 'bad_response', `The service sent ${what} in an unexpected format`);
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const nums = (v: unknown): number[] =>
  Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : [];
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const kinds = (v: unknown): Record<Kind, number> => {
  const o = isObj(v) ? v : {};
  return { automated: num(o.automated), ai_assisted: num(o.ai_assisted), human: num(o.human) };
};

export function parseUsage(v: unknown): Usage {
  if (!isObj(v) || !Array.isArray(v.days) || !isObj(v.totals)) throw bad('usage');
  const t = v.totals;
  return {
    from: str(v.from) ?? '',
    to: str(v.to) ?? '',
    days: v.days.filter(isObj).map((d) => ({
      date: str(d.date) ?? '',
      resolutions: kinds(d.resolutions),
      billable: num(d.billable),
      credited: num(d.credited),
    })),
    totals: {
      resolutions: kinds(t.resolutions),
      voided: num(t.voided),
      billable: num(t.billable),
      credited: num(t.credited),
      net: num(t.net),
    },
    automationRate: typeof v.automationRate === 'number' ? v.automationRate : null,
    inWindow: num(v.inWindow),
    windowHours: num(v.windowHours) || 72,
    awsMarketplace: v.awsMarketplace === true,
  };
}

function parseEvidence(v: unknown): Evidence {
  const e = isObj(v) ? v : {};
  const replies = isObj(e.publicReplies) ? e.publicReplies : {};
  return {
    rule: str(e.rule),
    humanAgents: nums(replies.humanAgents),
    bots: nums(replies.bots),
    endUserCount: num(replies.endUserCount),
    suggestions: (Array.isArray(e.suggestions) ? e.suggestions : []).filter(isObj).map((s) => ({
      suggestionId: str(s.suggestionId) ?? '',
      action: str(s.action) ?? '',
    })),
    calls: (Array.isArray(e.calls) ? e.calls : []).filter(isObj).map((c) => ({
      initialContactId: str(c.initialContactId) ?? '',
      outcome: str(c.outcome),
    })),
    ticketUnavailable: e.ticketUnavailable === true,
  };
}

export function parseResolutions(v: unknown): ResolutionPage {
  if (!isObj(v) || !Array.isArray(v.resolutions)) throw bad('resolutions');
  return {
    resolutions: v.resolutions.filter(isObj).map((r) => {
      if (
        typeof r.id !== 'number' ||
        typeof r.ticketId !== 'number' ||
        !KINDS.includes(r.kind as Kind) ||
        !STATES.includes(r.state as ResolutionState)
      )
        throw bad('a resolution');
      const rev = isObj(r.reversal) ? r.reversal : null;
      return {
        id: r.id,
        ticketId: r.ticketId,
        kind: r.kind as Kind,
        solvedAt: str(r.solvedAt) ?? '',
        windowEndsAt: str(r.windowEndsAt) ?? '',
        state: r.state as ResolutionState,
        reversal:
          rev && (rev.entry === 'void' || rev.entry === 'credit')
            ? { entry: rev.entry, at: str(rev.at) ?? '', reason: str(rev.reason) }
            : null,
        evidence: parseEvidence(r.evidence),
      };
    }),
    nextCursor: str(v.nextCursor),
  };
}

const qs = (params: Record<string, string | number | undefined>) =>
  Object.entries(params)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');

export interface BillingApi {
  usage(from: string, to: string): Promise<Usage>;
  resolutions(q: ResolutionQuery): Promise<ResolutionPage>;
  reportCsv(month: string): Promise<string>;
}

export function billingApi(api: ServiceApi): BillingApi {
  return {
    async usage(from, to) {
      return parseUsage(await api.call('GET', `/v1/app/billing/usage?${qs({ from, to })}`));
    },
    async resolutions(q) {
      const query = qs({
        from: q.from,
        to: q.to,
        basis: q.basis,
        kind: q.kind,
        state: q.state,
        cursor: q.cursor,
        limit: q.limit ?? 50,
      });
      return parseResolutions(await api.call('GET', `/v1/app/billing/resolutions?${query}`));
    },
    reportCsv(month) {
      return api.text(`/v1/app/billing/report?${qs({ month, format: 'csv' })}`);
    },
  };
}
