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
}

const suggestBody = z.object({
  // The conversation so far as the sidebar reads it (ticket comments or call transcript). Never logged.
  text: z.string().trim().min(1, 'required').max(20_000),
  locale: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a locale like en-US')
    .default('en'),
  ticketId: z.number().int().positive().optional(),
  contactId: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,128}$/)
    .optional(),
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
    const view = await deps.suggestions.suggest(tenantId, {
      conversation: body.data.text,
      locale: body.data.locale,
      ...(body.data.ticketId ? { ticketId: body.data.ticketId } : {}),
      ...(body.data.contactId ? { initialContactId: body.data.contactId } : {}),
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
