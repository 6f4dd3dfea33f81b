import { clusterVectors } from '../../server/knowledge/cluster';
import { reportGaps, vectorizeTickets } from '../../server/knowledge/gaps';
import { articleSchema, ticketSchema, toArticleDoc, toTicketDoc } from '../../server/knowledge/tickets';
import { HIDDEN_INTENTS, buildArticles, buildTickets, loadRows } from '../../server/demo/corpus';
import { clusterQuality, gapQuality } from './support/metrics';

/**
 * Quality on labeled data: 4,514 Bitext utterances as Zendesk tickets (responses as agents' answers),
 * articles for 18 intents, 9 hidden. Thresholds are the figures measured when the defaults were
 * chosen, minus a margin (measured → asserted):
 *   clean: precision 0.958 → 0.85, recall 0.778 → 0.55, gap purity 1.0 → 0.85, cluster purity 0.944 → 0.88
 *   noisy: precision 0.958 → 0.85, recall 0.889 → 0.6, gap purity 0.991 → 0.85, cluster purity 0.933 → 0.88
 * Cluster purity was 0.77 before clusters were made tight (join at cosine 0.5, members below 0.6 of
 * their centroid left as noise); noise 0.165 / 0.198 → at most 0.3. Account intents that share their
 * objects ("create / delete / edit / switch my Gold account"): 12 % / 15 % of their clustered tickets
 * sat in a cluster led by another of them (55 % / 58 % before) → at most 25 %.
 */

const ACCOUNT_INTENTS = ['create_account', 'delete_account', 'edit_account', 'switch_account'];

/** Share of the clustered tickets of `intents` whose cluster is led by another of `intents`. */
function confusedWithin(assignment: Int32Array, labels: string[], intents: string[]): number {
  const counts = new Map<number, Map<string, number>>();
  assignment.forEach((c, r) => {
    if (c < 0) return;
    const m = counts.get(c) ?? new Map<string, number>();
    m.set(labels[r]!, (m.get(labels[r]!) ?? 0) + 1);
    counts.set(c, m);
  });
  const lead = new Map(
    [...counts].map(([c, m]) => [c, [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0]]),
  );
  let clustered = 0;
  let confused = 0;
  assignment.forEach((c, r) => {
    if (c < 0 || !intents.includes(labels[r]!)) return;
    clustered++;
    const l = lead.get(c)!;
    if (l !== labels[r] && intents.includes(l)) confused++;
  });
  return clustered ? confused / clustered : 0;
}

const rows = loadRows();

async function run(noisy: boolean) {
  const labeled = [...buildTickets(rows, { noisy, seed: 7 })];
  const labelOf = new Map(labeled.map((t) => [t.value.id, t.intent]));
  const docs = labeled.map((t) => toTicketDoc(ticketSchema.parse(t.value)));
  const articles = buildArticles(rows, HIDDEN_INTENTS, { noisy }).map((a) =>
    toArticleDoc(articleSchema.parse(a.value)),
  );
  const space = await vectorizeTickets(docs);
  const clustering = clusterVectors(space.matrix);
  const report = reportGaps(space, articles, clustering);
  const hiddenTotal = labeled.filter((t) => HIDDEN_INTENTS.includes(t.intent)).length;
  const labels = docs.map((d) => labelOf.get(d.id)!);
  return {
    report,
    accountConfusion: confusedWithin(clustering.assignment, labels, ACCOUNT_INTENTS),
    gaps: gapQuality(report.gaps, (id) => labelOf.get(id), HIDDEN_INTENTS, hiddenTotal),
    clusters: clusterQuality(
      clustering.assignment,
      docs.map((d) => labelOf.get(d.id)!),
    ),
  };
}

// Each run takes a few seconds alone, several times that on a busy machine.
jest.setTimeout(180_000);

describe('knowledge gaps on labeled tickets', () => {
  let clean: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    clean = await run(false);
  });

  test('when some intents have no article, then those are reported as gaps and covered ones are not', () => {
    const { gaps, clusters, report, accountConfusion } = clean;
    process.stdout.write(`clean: ${JSON.stringify({ gaps, clusters, accountConfusion })}\n`);
    expect(gaps.precision).toBeGreaterThanOrEqual(0.85);
    expect(gaps.recall).toBeGreaterThanOrEqual(0.55);
    expect(gaps.gapPurity).toBeGreaterThanOrEqual(0.85);
    expect(clusters.purity).toBeGreaterThanOrEqual(0.88);
    expect(clusters.noise).toBeLessThanOrEqual(0.3);
    // near intents that share their objects are kept apart
    expect(accountConfusion).toBeLessThanOrEqual(0.25);
    // the intents with the most distinct wording are always found
    for (const intent of [
      'recover_password',
      'newsletter_subscription',
      'check_cancellation_fee',
      'review',
    ]) {
      expect(gaps.missed).not.toContain(intent);
    }
    // ranked by impact, each with its questions and a stable id
    const scores = report.gaps.map((g) => g.impact.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    for (const g of report.gaps) {
      expect(g.id).toMatch(/^gap_[0-9a-f]{12}$/);
      expect(g.questions.length).toBeGreaterThan(0);
      expect(g.size).toBe(g.ticketIds.length);
      expect(g.coverage).toBeLessThanOrEqual(0.22); // rounded to 3 digits
    }
    expect(new Set(report.gaps.map((g) => g.id)).size).toBe(report.gaps.length);
  });

  test('when tickets carry signatures, quoted replies, personal data, typos and other languages, then quality holds', async () => {
    const { gaps, clusters, report, accountConfusion } = await run(true);
    process.stdout.write(`noisy: ${JSON.stringify({ gaps, clusters, accountConfusion })}\n`);
    expect(gaps.precision).toBeGreaterThanOrEqual(0.85);
    expect(gaps.recall).toBeGreaterThanOrEqual(0.6);
    expect(gaps.gapPurity).toBeGreaterThanOrEqual(0.85);
    expect(clusters.purity).toBeGreaterThanOrEqual(0.88);
    expect(clusters.noise).toBeLessThanOrEqual(0.3);
    // near intents that share their objects are kept apart
    expect(accountConfusion).toBeLessThanOrEqual(0.25);
    // no personal data reaches the report
    const text = JSON.stringify(report.gaps.map((g) => [g.label, g.questions]));
    expect(text).not.toMatch(/@example\.|\+1 415|7946|jane\.doe/i);
  });

  test('when the same export is analysed twice, then the gap ids are the same', async () => {
    const a = clean.report.gaps.map((g) => g.id);
    const b = (await run(false)).report.gaps.map((g) => g.id);
    expect(b).toEqual(a);
  });
});
