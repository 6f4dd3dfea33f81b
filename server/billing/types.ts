import { z } from 'zod';

/** What a resolution was: billed only when automated. */
export type ResolutionKind = 'automated' | 'ai_assisted' | 'human';
export const RESOLUTION_KINDS: readonly ResolutionKind[] = ['automated', 'ai_assisted', 'human'];

/** The ledger is append-only: a resolution, and at most one reversal of it (void or credit). */
export type LedgerEntryType = 'resolution' | 'void' | 'credit';

/** Ticket events Zendesk sends through the triggers setup-webhooks creates. */
export type TicketEventKind = 'solved' | 'reopened' | 'end_user_comment';
export const TICKET_EVENT_KINDS: readonly TicketEventKind[] = ['solved', 'reopened', 'end_user_comment'];

export type ReversalReason = 'reopened' | 'end_user_comment' | 'solved_again' | 'merged' | 'deleted';

const digits = z.union([z.number().int().positive(), z.string().regex(/^\d{1,19}$/)]).transform(Number);
/** An optional id placeholder: Zendesk renders unknown ones as "" or leaves them as text; both mean absent. */
const optionalDigits = z
  .union([z.number(), z.string().max(64), z.null()])
  .optional()
  .transform((v) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : NaN;
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  });

/**
 * The JSON body our triggers send (see setup.ts). `at` is `{{ticket.updated_at_with_timestamp}}`:
 * ISO 8601, to the minute ("2024-05-01T10:20Z") or the second.
 */
export const webhookPayloadSchema = z.object({
  event: z.enum(['solved', 'reopened', 'end_user_comment']),
  ticket_id: digits.refine(Number.isSafeInteger, 'a Zendesk ticket id'),
  at: z
    .string()
    .min(1)
    .max(40)
    .refine((v) => !Number.isNaN(Date.parse(v)), 'an ISO 8601 date-time'),
  actor_id: optionalDigits,
});
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

/** One ticket event as stored in the inbox. */
export interface TicketEvent {
  tenantId: string;
  eventKey: string;
  ticketId: number;
  kind: TicketEventKind;
  occurredAt: string;
  /** X-Zendesk-Webhook-Signature-Timestamp: breaks ties between events of the same minute. */
  deliveredAt: string | null;
  actorId: number | null;
  status: 'pending' | 'done' | 'failed';
}

/** Why a resolution got its kind: kept with the ledger entry and shown in the drill-down. */
export interface Evidence {
  /** Public comments up to the solve, by who wrote them (Zendesk user ids, never names). */
  publicReplies: { humanAgents: number[]; bots: number[]; endUserCount: number };
  /** Connect conversations on the ticket and how each ended (answered = an agent handled the call). */
  calls: Array<{ initialContactId: string; outcome: string | null }>;
  /** Concierge suggestions an agent inserted or copied on this ticket before the solve. */
  suggestions: Array<{ suggestionId: string; action: string; userId: string; at: string }>;
  /** The rule that decided, in words. */
  rule: string;
  /** Set when the ticket could not be read (deleted before we looked): never classified automated. */
  ticketUnavailable?: boolean;
}

export interface LedgerEntry {
  id?: number;
  tenantId: string;
  entryKey: string;
  entry: LedgerEntryType;
  ticketId: number;
  resolutionKey: string;
  kind: ResolutionKind;
  quantity: 1 | -1;
  occurredAt: string;
  solvedAt: string;
  windowEndsAt: string;
  reason: ReversalReason | null;
  evidence: Evidence | Record<string, unknown>;
}

export const suggestionUseSchema = z.object({
  suggestionId: z.string().min(1).max(200),
  action: z.enum(['inserted', 'copied']),
  /** The agent (Zendesk user id) when known. */
  userId: z
    .union([z.number().int().nonnegative(), z.string().max(64)])
    .optional()
    .transform((v) => (v === undefined ? '' : String(v))),
  at: z
    .union([z.string(), z.date()])
    .transform((v) => new Date(v))
    .refine((d) => !Number.isNaN(d.getTime()), 'a date-time'),
});
/** What the suggestions capability passes (its onAssisted hook's shape); `action` is checked at run time. */
export interface SuggestionUse {
  suggestionId: string;
  action: string;
  userId?: number | string;
  at: Date | string;
}

export const billingSettingsSchema = z.object({
  windowHours: z.number().int().min(1).max(720).optional(),
  awsCustomerAccountId: z
    .string()
    .regex(/^\d{12}$/, 'a 12-digit AWS account id')
    .nullable()
    .optional(),
  awsProductCode: z
    .string()
    .regex(/^[a-z0-9]{1,64}$/i, 'an AWS Marketplace product code')
    .nullable()
    .optional(),
  botUserIds: z.array(z.number().int().positive()).max(100).optional(),
});
export type BillingSettingsInput = z.infer<typeof billingSettingsSchema>;

export interface BillingSettings {
  tenantId: string;
  windowHours: number;
  awsCustomerAccountId: string | null;
  awsProductCode: string | null;
  botUserIds: number[];
}

export const DEFAULT_WINDOW_HOURS = 72;
export const METERING_DIMENSION = 'automated_resolutions';
