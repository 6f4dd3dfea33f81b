import type { Evidence, ResolutionKind } from './types';

/**
 * Who resolved a ticket, from what we can show: its public comments up to the solve (author and role),
 * the Connect calls on it, and the Concierge suggestions agents used on it.
 *
 * - human: a human agent replied publicly or handled the call, without a Concierge suggestion; also any
 *   ticket with no sign of automation at all (an agent solved it silently) or that we could not read.
 * - ai_assisted: a human agent was involved and inserted or copied a Concierge suggestion before the solve.
 * - automated: no human agent replied publicly and no agent handled the call, and something automated did
 *   answer: a public reply by a bot user (the Concierge API user or a configured bot) or a bot-only call.
 */

export interface CommentFact {
  authorId: number;
  public: boolean;
  /** Epoch ms. */
  createdAt: number;
  /** From the users sideload; null when Zendesk did not return the author. */
  authorRole: 'end-user' | 'agent' | 'admin' | null;
}

export interface ClassificationFacts {
  solvedAt: number;
  comments: CommentFact[];
  botUserIds: ReadonlySet<number>;
  calls: Array<{ initialContactId: string; outcome: string | null }>;
  suggestions: Array<{ suggestionId: string; action: string; userId: string; at: number }>;
  ticketUnavailable?: boolean;
}

/** `at` placeholders are minute-precise: anything in the solve's minute counts as before it. */
const SAME_MINUTE_MS = 60_000;

export function classify(facts: ClassificationFacts): { kind: ResolutionKind; evidence: Evidence } {
  const until = facts.solvedAt + SAME_MINUTE_MS;
  const humanAgents = new Set<number>();
  const bots = new Set<number>();
  let endUserCount = 0;
  for (const c of facts.comments) {
    if (!c.public || c.createdAt >= until) continue;
    if (facts.botUserIds.has(c.authorId)) bots.add(c.authorId);
    else if (c.authorRole === 'end-user') endUserCount++;
    // An author Zendesk did not describe counts as a person: never bill on a guess.
    else humanAgents.add(c.authorId);
  }
  const suggestions = facts.suggestions
    .filter((s) => s.at < until)
    .map((s) => ({ ...s, at: new Date(s.at).toISOString() }));
  const answered = facts.calls.some((c) => c.outcome === 'answered');
  const botOnlyCall = facts.calls.some((c) => c.outcome === 'self_service');
  const base = {
    publicReplies: { humanAgents: [...humanAgents], bots: [...bots], endUserCount },
    calls: facts.calls,
    suggestions,
  };
  const decide = (kind: ResolutionKind, rule: string) => ({ kind, evidence: { ...base, rule } });

  if (facts.ticketUnavailable)
    return {
      kind: 'human' as const,
      evidence: {
        ...base,
        rule: 'the ticket could not be read, so it is never billed',
        ticketUnavailable: true,
      },
    };
  const human = humanAgents.size > 0 || answered;
  if (human && suggestions.length > 0)
    return decide('ai_assisted', 'an agent replied or handled the call using a Concierge suggestion');
  if (human)
    return decide(
      'human',
      humanAgents.size > 0 ? 'a human agent replied publicly' : 'an agent handled the call',
    );
  if (suggestions.length > 0) return decide('ai_assisted', 'an agent used a Concierge suggestion');
  if (bots.size > 0) return decide('automated', 'only a bot replied publicly; no agent handled a call');
  if (botOnlyCall) return decide('automated', 'a bot-only call; no agent replied or handled it');
  return decide('human', 'no automated answer on the ticket: solved by a person');
}
