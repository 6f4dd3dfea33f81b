import { createHash } from 'node:crypto';
import { clusterVectors, StaticIndex, type ClusterOptions, type Clustering, type Progress } from './cluster';
import type { ArticleDoc, TicketDoc } from './tickets';
import {
  Vectorizer,
  toMatrix,
  row,
  type SparseMatrix,
  type SparseVector,
  type VectorizerOptions,
} from './vectors';

/**
 * Knowledge gaps: clusters of tickets asking the same thing that no Help Center article answers,
 * ranked by what they cost. Pure functions over arrays and iterables, so the offline CLI, the
 * benchmark and a worker share them.
 */

export interface GapArticle {
  id: number;
  title: string;
  url?: string;
  /** Cosine of the cluster's centroid with the article (0..1). */
  score: number;
}

export interface GapImpact {
  /** Ranking score: tickets × mean handle minutes × (1 + reopen rate) × trend factor. */
  score: number;
  handleMinutes: number;
  reopenRate: number;
  /** Tickets per week, oldest first, over the last `weeks` weeks of the export. */
  weekly: number[];
  /** (last half − first half) / first half of `weekly`; 0 when flat or unknown. */
  trend: number;
}

export interface Gap {
  /** Stable across runs: a hash of the cluster's three strongest stems. */
  id: string;
  label: string;
  size: number;
  ticketIds: number[];
  /** How well the best article covers the cluster (0..1). */
  coverage: number;
  topArticle?: GapArticle;
  questions: string[];
  impact: GapImpact;
}

export interface GapStats {
  tickets: number;
  articles: number;
  clusters: number;
  clusteredTickets: number;
  gaps: number;
  gapTickets: number;
  minGapSize: number;
  maxCoverage: number;
  vectors: string;
  features: number;
  timingsMs: Record<string, number>;
  [extra: string]: unknown;
}

export interface GapReport {
  gaps: Gap[];
  stats: GapStats;
}

/** Any text → unit vectors provider (Bedrock Titan in production); same order, unit length. */
export interface Embedder {
  readonly name: string;
  embed(texts: string[]): Promise<Float32Array[]>;
}

export interface AnalyzeOptions {
  vectorizer?: VectorizerOptions;
  cluster?: ClusterOptions;
  /** Clusters smaller than this are not gaps. Default max(5, 0.1 % of the tickets). */
  minGapSize?: number;
  /** Clusters whose best article scores below this are gaps. */
  maxCoverage?: number;
  /** Weeks of history for the trend. */
  weeks?: number;
  questionsPerGap?: number;
  /** Agent answers per cluster compared with the articles (0: customers' words only). */
  answerSample?: number;
  /** Vectors from a provider instead of the local ones (labels and ids still come from local terms). */
  embedder?: Embedder;
  onProgress?: Progress;
}

export const DEFAULT_MAX_COVERAGE = 0.22;

/** The tickets as vectors, with what the report needs of each ticket. */
export interface TicketSpace {
  docs: TicketDoc[];
  matrix: SparseMatrix;
  vectorizer: Vectorizer;
}

/** Reads tickets (any iterable, streaming) into the local vector space. */
export async function vectorizeTickets(
  tickets: Iterable<TicketDoc> | AsyncIterable<TicketDoc>,
  opts: VectorizerOptions = {},
): Promise<TicketSpace> {
  const vectorizer = new Vectorizer(opts);
  const docs: TicketDoc[] = [];
  for await (const t of tickets) {
    vectorizer.add(t.question, t.answer);
    docs.push(t);
  }
  return { docs, matrix: vectorizer.fit(), vectorizer };
}

/** Dense provider vectors as a matrix the clustering reads (every dimension a column). */
export async function embedTickets(embedder: Embedder, texts: string[], batch = 96): Promise<SparseMatrix> {
  const vectors: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += batch)
    vectors.push(...(await embedder.embed(texts.slice(i, i + batch))));
  const dim = vectors[0]?.length ?? 0;
  const offsets = Uint32Array.from({ length: vectors.length + 1 }, (_, i) => i * dim);
  const indices = new Uint32Array(vectors.length * dim);
  const values = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => {
    for (let d = 0; d < dim; d++) indices[i * dim + d] = d;
    values.set(v, i * dim);
  });
  return { rows: vectors.length, dim, offsets, indices, values };
}

/** An article as one vector: title and body count alike (a title is short but says what it is about). */
export function articleVectors(
  articles: ArticleDoc[],
  vectorizer: Vectorizer,
  titleWeight = 1,
): SparseMatrix {
  const rows = articles.map((a) => {
    const lang = a.locale?.slice(0, 2).toLowerCase();
    const t = vectorizer.transform(a.title, lang);
    const b = vectorizer.transform(a.text, lang);
    const m = new Map<number, number>();
    t.indices.forEach((f, i) => m.set(f, titleWeight * t.values[i]!));
    b.indices.forEach((f, i) => m.set(f, (m.get(f) ?? 0) + b.values[i]!));
    return m;
  });
  return toMatrix(rows, vectorizer.featureCount);
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

function membersOf(assignment: Int32Array, k: number): number[][] {
  const members: number[][] = Array.from({ length: k }, () => []);
  assignment.forEach((c, r) => {
    if (c >= 0) members[c]!.push(r);
  });
  return members;
}

/** Stems ranked by their weight in a centroid (a bigram lends its weight to both words). */
function topStems(centroid: SparseVector, vectorizer: Vectorizer, n: number): number[] {
  const w = new Map<number, number>();
  centroid.indices.forEach((f, i) => {
    if (vectorizer.isSecondView(f)) return;
    for (const s of vectorizer.featureStems(f)) w.set(s, (w.get(s) ?? 0) + centroid.values[i]!);
  });
  return [...w.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, n)
    .map(([s]) => s);
}

/** A short label: the strongest features, a bigram standing in for its two words. */
export function labelOf(centroid: SparseVector, vectorizer: Vectorizer, maxWords = 4): string {
  const order = [...centroid.indices.keys()].sort((a, b) => centroid.values[b]! - centroid.values[a]!);
  const used = new Set<number>();
  const parts: string[] = [];
  let wordsUsed = 0;
  for (const i of order) {
    const f = centroid.indices[i]!;
    if (vectorizer.isSecondView(f)) continue;
    const stems = vectorizer.featureStems(f);
    if (stems.every((s) => used.has(s))) continue;
    if (wordsUsed + stems.length > maxWords) break;
    stems.forEach((s) => used.add(s));
    wordsUsed += stems.length;
    parts.push(vectorizer.featureName(f));
    if (wordsUsed >= maxWords) break;
  }
  return parts.join(' · ');
}

export function gapId(centroid: SparseVector, vectorizer: Vectorizer): string {
  const key = topStems(centroid, vectorizer, 3)
    .map((s) => vectorizer.stemString(s))
    .sort()
    .join('\u0000');
  return `gap_${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

/** Weekly counts, trend, handle time and reopens of a set of tickets. */
export function impactOf(docs: TicketDoc[], members: number[], latest: number, weeks: number): GapImpact {
  const WEEK = 7 * 24 * 3600 * 1000;
  const weekly = new Array<number>(weeks).fill(0);
  let handle = 0;
  let reopened = 0;
  for (const r of members) {
    const d = docs[r]!;
    handle += d.handleMinutes;
    if (d.reopened) reopened++;
    if (Number.isFinite(d.createdAt) && Number.isFinite(latest)) {
      const age = Math.floor((latest - d.createdAt) / WEEK);
      if (age >= 0 && age < weeks) weekly[weeks - 1 - age]!++;
    }
  }
  const half = Math.floor(weeks / 2);
  const before = weekly.slice(0, half).reduce((a, b) => a + b, 0);
  const after = weekly.slice(weeks - half).reduce((a, b) => a + b, 0);
  const trend = before === 0 ? (after > 0 ? 1 : 0) : (after - before) / before;
  const handleMinutes = members.length ? handle / members.length : 0;
  const reopenRate = members.length ? reopened / members.length : 0;
  const factor = 1 + Math.max(-0.5, Math.min(1, trend));
  return {
    score: Math.round(members.length * handleMinutes * (1 + reopenRate) * factor),
    handleMinutes: round(handleMinutes, 1),
    reopenRate: round(reopenRate),
    weekly,
    trend: round(trend),
  };
}

/** Members ordered by cosine with their centroid, closest first. */
function rankMembers(m: SparseMatrix, members: number[], centroids: SparseMatrix, c: number): number[] {
  const sim = (r: number) => {
    let s = 0;
    let i = m.offsets[r]!;
    let j = centroids.offsets[c]!;
    while (i < m.offsets[r + 1]! && j < centroids.offsets[c + 1]!) {
      const x = m.indices[i]!;
      const y = centroids.indices[j]!;
      if (x === y) s += m.values[i++]! * centroids.values[j++]!;
      else if (x < y) i++;
      else j++;
    }
    return s;
  };
  return members
    .map((r) => [r, sim(r)] as const)
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .map(([r]) => r);
}

/** Representative questions: closest to the centroid first, no two alike. */
function representatives(space: TicketSpace, ranked: number[], n: number): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const r of ranked) {
    const q = space.docs[r]!.question.replace(/\s+/g, ' ').trim();
    const key = q.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(q.length > 200 ? `${q.slice(0, 199)}…` : q);
    if (out.length >= n) break;
  }
  return out;
}

/**
 * How well articles match what agents answered in each cluster: a small TF-IDF space over the
 * articles and up to `sample` answers per cluster (those closest to the centroid first), the mean
 * answer vector per cluster, its best article. Agents answer in the articles' words even when
 * customers use their own ("rebate", "restitution" for a refund), so this bridges vocabulary.
 * Clusters without answers get -1.
 */
export function answerCoverage(
  answersPerCluster: string[][],
  articles: ArticleDoc[],
): Array<{ article: number; score: number }> {
  // minDf 2: a term only one article or answer has cannot match anything, it only dilutes that vector
  const v = new Vectorizer({ typos: false, minDf: 2 });
  for (const a of articles) v.add(`${a.title}\n${a.text}`);
  const owner: number[] = [];
  answersPerCluster.forEach((list, c) => {
    for (const text of list) {
      v.add(text);
      owner.push(c);
    }
  });
  const m = v.fit();
  const artM = pickRows(m, 0, articles.length);
  const index = new StaticIndex(artM);
  const sums: Array<Map<number, number>> = answersPerCluster.map(() => new Map());
  owner.forEach((c, i) => {
    const r = articles.length + i;
    for (let p = m.offsets[r]!; p < m.offsets[r + 1]!; p++) {
      sums[c]!.set(m.indices[p]!, (sums[c]!.get(m.indices[p]!) ?? 0) + m.values[p]!);
    }
  });
  const cents = toMatrix(sums, m.dim);
  return answersPerCluster.map((list, c) => {
    if (list.length === 0) return { article: -1, score: -1 };
    const r = row(cents, c);
    const [article, score] = index.best(r.indices, r.values);
    return { article, score };
  });
}

function pickRows(m: SparseMatrix, from: number, to: number): SparseMatrix {
  const base = m.offsets[from]!;
  return {
    rows: to - from,
    dim: m.dim,
    offsets: m.offsets.slice(from, to + 1).map((o) => o - base),
    indices: m.indices.slice(base, m.offsets[to]),
    values: m.values.slice(base, m.offsets[to]),
  };
}

/**
 * From a clustering to the report: coverage by the best article, gaps (enough tickets, low
 * coverage), ranking by impact. `clustering` may come from any algorithm (the benchmark feeds DBSCAN).
 */
export function reportGaps(
  space: TicketSpace,
  articles: ArticleDoc[],
  clustering: Pick<Clustering, 'assignment'>,
  opts: AnalyzeOptions = {},
  articleMatrix?: SparseMatrix,
): GapReport {
  const started = Date.now();
  const n = space.docs.length;
  const minGapSize = opts.minGapSize ?? Math.max(5, Math.ceil(n * 0.001));
  const maxCoverage = opts.maxCoverage ?? DEFAULT_MAX_COVERAGE;
  const weeks = opts.weeks ?? 8;
  let k = 0;
  clustering.assignment.forEach((c) => (k = Math.max(k, c + 1)));
  // Centroids in the local space even when clustering used provider vectors: labels, ids, coverage.
  const members = membersOf(clustering.assignment, k);
  const local = localCentroids(space.matrix, members);
  const artM = articleMatrix ?? articleVectors(articles, space.vectorizer);
  const artIndex = new StaticIndex(artM);

  // Clusters with the same three strongest stems are the same question: one gap, one id.
  const byId = new Map<string, number[]>();
  const centroidOf: number[] = [];
  members.forEach((list, c) => {
    if (list.length === 0) return;
    const id = gapId(row(local, c), space.vectorizer);
    const prev = byId.get(id);
    if (prev) prev.push(...list);
    else byId.set(id, [...list]);
    centroidOf.push(c);
  });
  const groups = [...byId.entries()];
  const merged = localCentroids(
    space.matrix,
    groups.map(([, list]) => list),
  );
  let latest = -Infinity;
  for (const d of space.docs) if (d.createdAt > latest) latest = d.createdAt;

  const gaps: Gap[] = [];
  let clustered = 0;
  const candidates: Array<{ id: string; list: number[]; g: number; ranked: number[]; q: [number, number] }> =
    [];
  groups.forEach(([id, list], g) => {
    clustered += list.length;
    if (list.length < minGapSize) return;
    const c = row(merged, g);
    const ranked = rankMembers(space.matrix, list, merged, g);
    candidates.push({ id, list, g, ranked, q: artIndex.best(c.indices, c.values) });
  });
  const sample = opts.answerSample ?? 25;
  const byAnswers =
    sample > 0 && articles.length > 0
      ? answerCoverage(
          candidates.map((cand) =>
            cand.ranked
              .map((r) => space.docs[r]!.answer)
              .filter((a): a is string => !!a)
              .slice(0, sample),
          ),
          articles,
        )
      : [];
  candidates.forEach((cand, i) => {
    const [qa, qs] = cand.q;
    const ans = byAnswers[i];
    // The better of the two views: customers' words against the articles, agents' words against them.
    const useAnswer = ans !== undefined && ans.score > qs;
    const score = useAnswer ? ans.score : qs;
    const a = useAnswer ? ans.article : qa;
    if (score >= maxCoverage) return;
    const art = a >= 0 ? articles[a] : undefined;
    const list = [...cand.list].sort((x, y) => x - y);
    gaps.push({
      id: cand.id,
      label: labelOf(row(merged, cand.g), space.vectorizer),
      size: list.length,
      ticketIds: list.map((r) => space.docs[r]!.id),
      coverage: round(Math.max(0, score)),
      ...(art
        ? {
            topArticle: {
              id: art.id,
              title: art.title,
              ...(art.url ? { url: art.url } : {}),
              score: round(score),
            },
          }
        : {}),
      questions: representatives(space, cand.ranked, opts.questionsPerGap ?? 5),
      impact: impactOf(space.docs, list, latest, weeks),
    });
  });
  gaps.sort((x, y) => y.impact.score - x.impact.score || y.size - x.size || (x.id < y.id ? -1 : 1));
  return {
    gaps,
    stats: {
      tickets: n,
      articles: articles.length,
      clusters: groups.length,
      clusteredTickets: clustered,
      gaps: gaps.length,
      gapTickets: gaps.reduce((s, g) => s + g.size, 0),
      minGapSize,
      maxCoverage,
      vectors: opts.embedder ? opts.embedder.name : 'local-tfidf',
      features: space.matrix.dim,
      timingsMs: { report: Date.now() - started },
    },
  };
}

/** Unpruned-then-pruned (top 40 terms) unit centroids of the given member lists. */
export function localCentroids(m: SparseMatrix, members: number[][], terms = 40): SparseMatrix {
  const acc = new Float64Array(m.dim);
  const rows = members.map((list) => {
    const touched: number[] = [];
    for (const r of list) {
      for (let p = m.offsets[r]!; p < m.offsets[r + 1]!; p++) {
        const f = m.indices[p]!;
        if (acc[f] === 0) touched.push(f);
        acc[f]! += m.values[p]!;
      }
    }
    const top = touched.sort((a, b) => acc[b]! - acc[a]! || a - b).slice(0, terms);
    const out = new Map<number, number>(top.map((f) => [f, acc[f]!]));
    for (const f of touched) acc[f] = 0;
    return out;
  });
  return toMatrix(rows, m.dim);
}

/** The whole analysis: tickets (streamed) + articles → ranked gaps. */
export async function analyzeGaps(
  tickets: Iterable<TicketDoc> | AsyncIterable<TicketDoc>,
  articles: ArticleDoc[],
  opts: AnalyzeOptions = {},
): Promise<GapReport> {
  const t0 = Date.now();
  const space = await vectorizeTickets(tickets, opts.vectorizer);
  const t1 = Date.now();
  const vectors = opts.embedder
    ? await embedTickets(
        opts.embedder,
        space.docs.map((d) => d.question),
      )
    : space.matrix;
  const clusterOpts = opts.embedder ? { centroidTerms: vectors.dim, ...opts.cluster } : opts.cluster;
  const clustering = clusterVectors(vectors, clusterOpts, opts.onProgress);
  const t2 = Date.now();
  // Coverage, labels and ids are computed in the local space whatever clustered the tickets, so they
  // stay comparable between providers and across runs.
  const report = reportGaps(space, articles, clustering, opts);
  report.stats.timingsMs = {
    vectorize: t1 - t0,
    cluster: t2 - t1,
    ...report.stats.timingsMs,
    total: Date.now() - t0,
  };
  return report;
}
