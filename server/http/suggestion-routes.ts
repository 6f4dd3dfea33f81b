import { Router } from 'express';
import { z } from 'zod';
import type { Suggestions } from '../suggestions/service';
import { BadRequestError, NotFoundError } from '../errors';
import type { AppAuth } from './app-auth';

export interface SuggestionRoutesDeps {
  suggestions: Suggestions;
  /** Called when an agent inserted or copied a suggestion into a ticket (AI-assisted resolution evidence). */
  onAssisted?: (
    tenantId: string,
    ticketId: number,
    use: { suggestionId: string; action: string; userId?: number; at: Date },
  ) => Promise<void>;
  /**
   * A live contact's conversation so far (customer turns, from the Contact Lens timeline). Lets the
   * sidebar ask for a suggestion with `{ contactId }` only: the transcript stays on the server.
   */
  conversation?: (
    tenantId: string,
    contactId: string,
  ) => Promise<{ initialContactId: string; text: string; languageCode: string | null } | null>;
}

const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

const suggestBody = z
  .object({
    // The conversation so far as the sidebar reads it (ticket comments). Never logged. Without it, a
    // live contact's transcript is read on the server (`contactId` required then).
    text: z.string().trim().min(1, 'required').max(20_000).optional(),
    // Absent: the customer's language as Contact Lens heard it, else English.
    locale: z.string().regex(LOCALE, 'a locale like en-US').optional(),
    ticketId: z.number().int().positive().optional(),
    contactId: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,128}$/)
      .optional(),
  })
  .refine((b) => b.text !== undefined || b.contactId !== undefined, {
    message: 'text or contactId is required',
    path: ['text'],
  });

const actionBody = z.object({
  action: z.enum(['inserted', 'copied', 'opened_article', 'thumbs_up', 'thumbs_down']),
  articleId: z.number().int().positive().optional(),
  reason: z.string().trim().max(500).optional(),
  ticketId: z.number().int().positive().optional(),
});

const userIdOf = (auth: AppAuth | undefined): number | undefined => {
  const n = Number(auth?.userId);
  return Number.isInteger(n) && n > 0 ? n : undefined;
};

/** Mounted behind the app's JWT middleware: `res.locals.tenant` is the verified tenant. */
export function suggestionRouter(deps: SuggestionRoutesDeps): Router {
  const router = Router();

  router.post('/v1/app/suggestions', async (req, res) => {
    const body = suggestBody.safeParse(req.body);
    if (!body.success)
      throw new BadRequestError(
        'Invalid suggestion request',
        body.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      );
    const tenantId = res.locals.tenant as string;
    let text = body.data.text;
    let locale = body.data.locale;
    let initialContactId = body.data.contactId;
    if (text === undefined && body.data.contactId) {
      if (!deps.conversation)
        throw new BadRequestError('text is required (live transcripts are not available here)');
      const live = await deps.conversation(tenantId, body.data.contactId);
      // Nothing said by the customer yet: no suggestion, and nothing stored.
      if (!live) return void res.json({ suggestion: null });
      text = live.text;
      initialContactId = live.initialContactId;
      if (locale === undefined && live.languageCode && LOCALE.test(live.languageCode))
        locale = live.languageCode;
    }
    const view = await deps.suggestions.suggest(tenantId, {
      conversation: text!,
      locale: locale ?? 'en',
      ...(body.data.ticketId ? { ticketId: body.data.ticketId } : {}),
      ...(initialContactId ? { initialContactId } : {}),
      ...(userIdOf(res.locals.appAuth as AppAuth | undefined)
        ? { userId: userIdOf(res.locals.appAuth as AppAuth) }
        : {}),
    });
    res.json({ suggestion: view });
  });

  router.post('/v1/app/suggestions/:id/actions', async (req, res) => {
    const id = z.string().uuid().safeParse(req.params.id);
    if (!id.success) throw new BadRequestError('id: a suggestion id', undefined, 'invalid_parameter');
    const body = actionBody.safeParse(req.body);
    if (!body.success)
      throw new BadRequestError(
        'Invalid action',
        body.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      );
    const tenantId = res.locals.tenant as string;
    const userId = userIdOf(res.locals.appAuth as AppAuth | undefined);
    const recorded = await deps.suggestions.recordAction(tenantId, id.data, {
      ...body.data,
      ...(userId ? { userId } : {}),
    });
    if (!recorded) throw new NotFoundError('Unknown suggestion');
    if (
      (body.data.action === 'inserted' || body.data.action === 'copied') &&
      recorded.ticketId &&
      deps.onAssisted
    ) {
      await deps.onAssisted(tenantId, recorded.ticketId, {
        suggestionId: id.data,
        action: body.data.action,
        ...(userId ? { userId } : {}),
        at: new Date(),
      });
    }
    res.status(201).json({ recorded: true });
  });

  return router;
}
