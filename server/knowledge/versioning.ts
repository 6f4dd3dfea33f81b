import { randomUUID } from 'node:crypto';
import type { Queryable } from '../store/db';
import type { Gap } from './gaps';
import type { StoredGap } from './repo';

/**
 * Results are versioned: a gap found again by a later run is the same row with a new version, not a
 * second gap. Two clusters are the same gap when they have the same signature (their three strongest
 * stems) or when their centroids — kept as stem → weight, stable across runs unlike feature ids — are
 * close enough; each stored gap matches at most one fresh one, best pairs first.
 */

export const SAME_GAP_COSINE = 0.5;

export type Centroid = Record<string, number>;

export function centroidCosine(a: Centroid, b: Centroid): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (const [k, v] of Object.entries(a)) {
    na += v * v;
    const w = b[k];
    if (w !== undefined) dot += v * w;
  }
  for (const v of Object.values(b)) nb += v * v;
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

export interface FreshGap {
  gap: Gap;
  centroid: Centroid;
}

export interface GapMatch {
  fresh: FreshGap;
  /** The stored gap it continues, or undefined for a new gap. */
  stored?: StoredGap;
  similarity: number;
}

export function matchGaps(stored: StoredGap[], fresh: FreshGap[], threshold = SAME_GAP_COSINE): GapMatch[] {
  const pairs: Array<{ s: number; f: number; sim: number }> = [];
  stored.forEach((sg, s) =>
    fresh.forEach((fg, f) => {
      const sim = sg.signature === fg.gap.id ? 1 : centroidCosine(sg.centroid, fg.centroid);
      if (sim >= threshold) pairs.push({ s, f, sim });
    }),
  );
  pairs.sort((a, b) => b.sim - a.sim || a.s - b.s || a.f - b.f);
  const usedS = new Set<number>();
  const byFresh = new Map<number, { s: number; sim: number }>();
  for (const p of pairs) {
    if (usedS.has(p.s) || byFresh.has(p.f)) continue;
    usedS.add(p.s);
    byFresh.set(p.f, { s: p.s, sim: p.sim });
  }
  return fresh.map((fg, f) => {
    const m = byFresh.get(f);
    return m ? { fresh: fg, stored: stored[m.s]!, similarity: m.sim } : { fresh: fg, similarity: 0 };
  });
}

export interface SaveGapsResult {
  created: string[];
  updated: string[];
  /** Open gaps this run did not find again (now covered, or too small). */
  closed: string[];
}

/** Writes one run's gaps (inside the caller's transaction): new rows, new versions, and closes the rest. */
export async function saveGaps(
  q: Queryable,
  tenantId: string,
  runId: string,
  stored: StoredGap[],
  fresh: FreshGap[],
): Promise<SaveGapsResult> {
  const matches = matchGaps(stored, fresh);
  const created: string[] = [];
  const updated: string[] = [];
  for (const m of matches) {
    const g = m.fresh.gap;
    const values = [
      tenantId,
      g.id,
      g.label,
      g.size,
      g.ticketIds,
      g.coverage,
      g.topArticle?.id ?? null,
      g.topArticle?.title ?? null,
      JSON.stringify(g.questions),
      JSON.stringify(g.impact),
      JSON.stringify(m.fresh.centroid),
      runId,
    ];
    let id: string;
    let version: number;
    if (m.stored) {
      id = m.stored.id;
      const rows = await q.query<{ version: number }>(
        `UPDATE knowledge_gaps SET signature = $2, label = $3, size = $4, ticket_ids = $5, coverage = $6,
                top_article_id = $7, top_article_title = $8, questions = $9::jsonb, impact = $10::jsonb,
                centroid = $11::jsonb, last_run = $12, last_seen_at = now(), status = 'open',
                version = version + CASE WHEN last_run = $12 THEN 0 ELSE 1 END
          WHERE tenant_id = $1 AND id = $13 RETURNING version`,
        [...values, id],
      );
      version = Number(rows[0]!.version);
      updated.push(id);
    } else {
      id = randomUUID();
      await q.query(
        `INSERT INTO knowledge_gaps (tenant_id, signature, label, size, ticket_ids, coverage, top_article_id,
           top_article_title, questions, impact, centroid, first_run, last_run, id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11::jsonb, $12, $12, $13)`,
        [...values, id],
      );
      version = 1;
      created.push(id);
    }
    await q.query(
      `INSERT INTO knowledge_gap_versions (tenant_id, gap_id, version, run_id, size, coverage, impact_score)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [tenantId, id, version, runId, g.size, g.coverage, g.impact.score],
    );
  }
  const seen = new Set(matches.flatMap((m) => (m.stored ? [m.stored.id] : [])));
  const closed = stored.filter((s) => !seen.has(s.id) && s.status === 'open').map((s) => s.id);
  if (closed.length) {
    await q.query(
      `UPDATE knowledge_gaps SET status = 'covered' WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
      [tenantId, closed],
    );
  }
  return { created, updated, closed };
}
