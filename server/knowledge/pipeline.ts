import type { Logger } from 'pino';
import type { AiProvider } from '../ai/types';
import type { HelpCenterRepo } from '../helpcenter/repo';
import { htmlToText } from '../ai/html';
import type { ZendeskApi } from '../zendesk/types';
import { clusterVectors } from './cluster';
import { draftGap } from './drafts';
import { exportSolvedTickets } from './export';
import { embedTickets, localCentroids, reportGaps, vectorizeTickets, type Embedder } from './gaps';
import type { KnowledgeRepo, Run } from './repo';
import type { ArticleDoc } from './tickets';
import { saveGaps, type Centroid, type FreshGap } from './versioning';
import { row } from './vectors';

/**
 * One analysis run of one tenant, in stages kept in Postgres (export → analyze → draft → done), so a
 * run that crashed resumes at its stage: the export at its stored cursor, the analysis from the stored
 * tickets (its results are written in one transaction with the move to "draft"), drafting gap by gap
 * (each draft is unique per gap and run).
 */

export interface RunProgress {
  runId: string;
  stage: Run['stage'];
  exported: number;
  gaps?: number;
  drafted?: number;
}

export interface PipelineDeps {
  repo: KnowledgeRepo;
  helpCenter: HelpCenterRepo;
  zendesk: ZendeskApi;
  ai: AiProvider;
  logger: Logger;
  now?: () => number;
  /** Export pages per attempt (tests use small numbers to stop mid-export). */
  maxPages?: number;
}

const ANALYSIS_ANSWER_MAX = 500;

export async function runKnowledge(
  deps: PipelineDeps,
  tenantId: string,
  runId: string,
  onProgress: (p: RunProgress) => void | Promise<void> = () => undefined,
): Promise<Run> {
  const now = deps.now ?? Date.now;
  let run = await deps.repo.run(tenantId, runId);
  if (!run) throw new Error(`knowledge run ${runId} not found`);
  const settings = await deps.repo.settings(tenantId);
  const log = deps.logger.child({ module: 'knowledge', tenantId, runId });

  if (run.stage === 'export') {
    const r = await exportSolvedTickets(deps.repo, deps.zendesk, tenantId, runId, {
      lookbackDays: settings.lookbackDays,
      now,
      logger: log,
      ...(deps.maxPages !== undefined ? { maxPages: deps.maxPages } : {}),
      onPage: (p) => onProgress({ runId, stage: 'export', exported: (run?.exported ?? 0) + p.exported }),
    });
    if (!r.complete)
      throw new Error('export paused after its page budget; the next attempt resumes at the cursor');
    await deps.repo.setStage(tenantId, runId, 'analyze');
    run = (await deps.repo.run(tenantId, runId))!;
  }

  if (run.stage === 'analyze') {
    await onProgress({ runId, stage: 'analyze', exported: run.exported });
    const since = now() - settings.lookbackDays * 86_400_000;
    const stored = await deps.helpCenter.published(tenantId);
    const articles: ArticleDoc[] = stored.map((a) => ({
      id: a.articleId,
      title: a.title,
      text: htmlToText(a.bodyHtml),
      locale: a.locale,
      ...(a.htmlUrl ? { url: a.htmlUrl } : {}),
      ...(a.sectionId !== null ? { sectionId: a.sectionId } : {}),
    }));
    const docs = (async function* () {
      for await (const t of deps.repo.tickets(tenantId, since)) {
        yield t.answer && t.answer.length > ANALYSIS_ANSWER_MAX
          ? { ...t, answer: t.answer.slice(0, ANALYSIS_ANSWER_MAX) }
          : t;
      }
    })();
    const space = await vectorizeTickets(docs);
    const fresh: FreshGap[] = [];
    if (space.docs.length > 0) {
      const embedder: Embedder | undefined =
        deps.ai.name === 'bedrock'
          ? { name: 'bedrock-titan', embed: (texts) => deps.ai.embed(texts) }
          : undefined;
      const vectors = embedder
        ? await embedTickets(
            embedder,
            space.docs.map((d) => d.question),
          )
        : space.matrix;
      const clustering = clusterVectors(vectors, embedder ? { centroidTerms: vectors.dim } : undefined);
      const report = reportGaps(space, articles, clustering, embedder ? { embedder } : {});
      const rowOf = new Map(space.docs.map((d, i) => [d.id, i]));
      const cents = localCentroids(
        space.matrix,
        report.gaps.map((g) => g.ticketIds.map((id) => rowOf.get(id)!)),
      );
      report.gaps.forEach((gap, i) => {
        const c = row(cents, i);
        const centroid: Centroid = {};
        c.indices.forEach((f, k) => {
          if (space.vectorizer.isSecondView(f)) return;
          const key = space.vectorizer
            .featureStems(f)
            .map((s) => space.vectorizer.stemString(s))
            .join(' ');
          centroid[key] = Math.round(c.values[k]! * 1e4) / 1e4;
        });
        fresh.push({ gap, centroid });
      });
    }
    const saved = await deps.repo.db.tx(async (q) => {
      const existing = await deps.repo.allGaps(tenantId, q);
      const result = await saveGaps(q, tenantId, runId, existing, fresh);
      const toDraft = fresh.filter((f) => f.gap.size >= settings.draftMinSize).map((f) => f.gap.id);
      await deps.repo.setStage(
        tenantId,
        runId,
        'draft',
        {
          tickets: space.docs.length,
          articles: articles.length,
          gaps: fresh.length,
          newGaps: result.created.length,
          updatedGaps: result.updated.length,
          closedGaps: result.closed.length,
          // Gaps (new or seen again) big enough for a draft; drafting skips those with an open draft or an unchanged rejection.
          toDraftSignatures: toDraft,
        },
        undefined,
        q,
      );
      return result;
    });
    log.info(
      { gaps: fresh.length, created: saved.created.length, updated: saved.updated.length },
      'gaps saved',
    );
    run = (await deps.repo.run(tenantId, runId))!;
  }

  if (run.stage === 'draft') {
    const signatures = new Set((run.stats.toDraftSignatures as string[] | undefined) ?? []);
    const gaps = (await deps.repo.gaps(tenantId, 'open')).filter(
      (g) => g.lastRun === runId && signatures.has(g.signature),
    );
    const articles = await deps.helpCenter.published(tenantId);
    let drafted = 0;
    const skipped: Record<string, number> = {};
    for (const gap of gaps) {
      const r = await draftGap({ repo: deps.repo, ai: deps.ai }, tenantId, runId, gap, articles);
      if ('draftId' in r) drafted++;
      else skipped[r.skipped] = (skipped[r.skipped] ?? 0) + 1;
      await onProgress({ runId, stage: 'draft', exported: run.exported, gaps: gaps.length, drafted });
    }
    await deps.repo.setStage(tenantId, runId, 'done', { drafted, draftSkipped: skipped });
    run = (await deps.repo.run(tenantId, runId))!;
  }
  // Also for a job that found its run already finished (a second job of the same run).
  await onProgress({
    runId,
    stage: run.stage,
    exported: run.exported,
    ...(typeof run.stats.gaps === 'number' ? { gaps: run.stats.gaps } : {}),
    ...(typeof run.stats.drafted === 'number' ? { drafted: run.stats.drafted } : {}),
  });
  return run;
}
