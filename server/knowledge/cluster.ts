import { dot, row, type SparseMatrix } from './vectors';

/**
 * Clustering of unit-length sparse vectors without any all-pairs step:
 *  1. leader clustering on a deterministic sample (a ticket joins the most similar leader above the
 *     threshold, else leads a new cluster), candidates found through an inverted index;
 *  2. spherical k-means rounds over every ticket against pruned centroids (top terms only), again
 *     scored through an inverted index, with a leader pass over a sample of the tickets nothing
 *     matched; clusters below a floor (a share of the tickets) are dissolved after each round;
 *  3. merging of clusters whose centroids are close, a last assignment round, and small clusters
 *     dissolved into their best neighbour or noise;
 *  4. members whose cosine with their cluster's final centroid is low are left as noise.
 * The thresholds are tight (a ticket joins at cosine 0.5, stays at 0.6): near intents that share
 * their objects ("create / delete my Gold account") stay apart, as DBSCAN's density keeps them, at the
 * price of leaving the loosest tickets out. The number of clusters is bounded by the sample and the
 * floor, not by the number of tickets, so each round costs O(tickets × terms per ticket × clusters
 * sharing a term): linear in tickets.
 */

export interface ClusterOptions {
  /** Cosine a ticket needs with a leader or centroid to join it (defaults: see defaultsFor). */
  threshold?: number;
  /** Cosine between two centroids above which they are merged. */
  mergeThreshold?: number;
  /** Assignment rounds after seeding. */
  iterations?: number;
  /** Terms kept per centroid. */
  centroidTerms?: number;
  /** Tickets in the seeding sample. */
  sampleSize?: number;
  /** Clusters smaller than this are dissolved. */
  minClusterSize?: number;
  /**
   * Clusters smaller than this share of the tickets are dissolved too (from the second round on), so
   * the number of clusters, and with it the cost of a round, does not grow with the number of tickets.
   */
  minClusterShare?: number;
  /**
   * Cosine a member needs with its cluster's final centroid to stay in it; below, it is noise (as
   * DBSCAN leaves border points out): clusters stay pure and their centroids say what they are about.
   */
  noiseThreshold?: number;
}

export interface Clustering {
  /** Cluster of each row; -1 for a ticket in no cluster. */
  assignment: Int32Array;
  /** Pruned, unit-length centroids, one row per cluster. */
  centroids: SparseMatrix;
  sizes: number[];
}

export type Progress = (phase: string, done: number, total: number) => void;

const DEFAULTS: Required<ClusterOptions> = {
  threshold: 0.5,
  mergeThreshold: 0.55,
  iterations: 2,
  centroidTerms: 30,
  sampleSize: 20_000,
  minClusterSize: 3,
  minClusterShare: 1 / 2000,
  noiseThreshold: 0.6,
};

/**
 * Thresholds for few tickets. Among a few hundred tickets, two of the same intent are seldom near
 * paraphrases, so only loose thresholds group them at all (60 tickets of two intents: the tight ones
 * leave half of them out and the rest in fragments too small to be a gap); from a few thousand on,
 * every intent has dense cores and the tight thresholds keep near intents apart.
 */
const LOOSE = { threshold: 0.25, mergeThreshold: 0.4, noiseThreshold: 0 };
const LOOSE_UP_TO = 200;
const TIGHT_FROM = 2000;

/** The defaults for n tickets: loose up to 200, tight from 2,000, log-linear in between. */
export function defaultsFor(n: number): Required<ClusterOptions> {
  const t = Math.min(1, Math.max(0, Math.log(n / LOOSE_UP_TO) / Math.log(TIGHT_FROM / LOOSE_UP_TO)));
  const mix = (loose: number, tight: number) => Math.round((loose + (tight - loose) * t) * 1000) / 1000;
  return {
    ...DEFAULTS,
    threshold: mix(LOOSE.threshold, DEFAULTS.threshold),
    mergeThreshold: mix(LOOSE.mergeThreshold, DEFAULTS.mergeThreshold),
    noiseThreshold: mix(LOOSE.noiseThreshold, DEFAULTS.noiseThreshold),
  };
}

/** Inverted index over a fixed set of vectors: feature → (vector, weight) postings. */
class StaticIndex {
  private readonly off: Uint32Array;
  private readonly ids: Uint32Array;
  private readonly ws: Float32Array;
  private readonly scores: Float32Array;
  private readonly touched: Uint32Array;

  constructor(readonly vectors: SparseMatrix) {
    const dim = vectors.dim;
    this.off = new Uint32Array(dim + 1);
    for (let k = 0; k < vectors.indices.length; k++) this.off[vectors.indices[k]! + 1]!++;
    for (let f = 0; f < dim; f++) this.off[f + 1]! += this.off[f]!;
    const fill = this.off.slice(0, dim);
    this.ids = new Uint32Array(vectors.indices.length);
    this.ws = new Float32Array(vectors.indices.length);
    for (let r = 0; r < vectors.rows; r++) {
      for (let k = vectors.offsets[r]!; k < vectors.offsets[r + 1]!; k++) {
        const p = fill[vectors.indices[k]!]!++;
        this.ids[p] = r;
        this.ws[p] = vectors.values[k]!;
      }
    }
    this.scores = new Float32Array(vectors.rows);
    this.touched = new Uint32Array(vectors.rows);
  }

  /** The most similar vector (and cosine), skipping `exclude`; [-1, 0] when nothing shares a term. */
  best(indices: Uint32Array, values: Float32Array, exclude = -1): [number, number] {
    let nTouched = 0;
    for (let k = 0; k < indices.length; k++) {
      const f = indices[k]!;
      const v = values[k]!;
      for (let p = this.off[f]!; p < this.off[f + 1]!; p++) {
        const c = this.ids[p]!;
        if (this.scores[c] === 0) this.touched[nTouched++] = c;
        this.scores[c]! += v * this.ws[p]!;
      }
    }
    let bestC = -1;
    let bestS = 0;
    for (let t = 0; t < nTouched; t++) {
      const c = this.touched[t]!;
      const s = this.scores[c]!;
      this.scores[c] = 0;
      if (c !== exclude && (s > bestS || (s === bestS && c < bestC))) {
        bestS = s;
        bestC = c;
      }
    }
    return [bestC, bestS];
  }

  /** Every vector with cosine ≥ min (used for merging centroids). */
  above(indices: Uint32Array, values: Float32Array, min: number): number[] {
    let nTouched = 0;
    for (let k = 0; k < indices.length; k++) {
      const f = indices[k]!;
      for (let p = this.off[f]!; p < this.off[f + 1]!; p++) {
        const c = this.ids[p]!;
        if (this.scores[c] === 0) this.touched[nTouched++] = c;
        this.scores[c]! += values[k]! * this.ws[p]!;
      }
    }
    const out: number[] = [];
    for (let t = 0; t < nTouched; t++) {
      const c = this.touched[t]!;
      if (this.scores[c]! >= min) out.push(c);
      this.scores[c] = 0;
    }
    return out;
  }
}

/** Leader clustering with a growing index; returns the leaders' rows. */
function leaders(m: SparseMatrix, order: Iterable<number>, threshold: number, maxLeaders: number): number[] {
  const postIds: Array<number[] | undefined> = [];
  const postWs: Array<number[] | undefined> = [];
  const out: number[] = [];
  const scores = new Float64Array(maxLeaders);
  const touched = new Uint32Array(maxLeaders);
  for (const r of order) {
    const a = m.offsets[r]!;
    const b = m.offsets[r + 1]!;
    if (a === b) continue;
    let nTouched = 0;
    let best = 0;
    for (let k = a; k < b; k++) {
      const ids = postIds[m.indices[k]!];
      if (!ids) continue;
      const ws = postWs[m.indices[k]!]!;
      const v = m.values[k]!;
      for (let j = 0; j < ids.length; j++) {
        const c = ids[j]!;
        if (scores[c] === 0) touched[nTouched++] = c;
        scores[c]! += v * ws[j]!;
      }
    }
    for (let t = 0; t < nTouched; t++) {
      const c = touched[t]!;
      if (scores[c]! > best) best = scores[c]!;
      scores[c] = 0;
    }
    if (best >= threshold || out.length >= maxLeaders) continue;
    const id = out.push(r) - 1;
    for (let k = a; k < b; k++) {
      const f = m.indices[k]!;
      (postIds[f] ??= []).push(id);
      (postWs[f] ??= []).push(m.values[k]!);
    }
  }
  return out;
}

/** Rows of m as their own matrix (the leaders' vectors become the first centroids). */
function pick(m: SparseMatrix, rows: number[]): SparseMatrix {
  const offsets = new Uint32Array(rows.length + 1);
  rows.forEach((r, i) => (offsets[i + 1] = offsets[i]! + (m.offsets[r + 1]! - m.offsets[r]!)));
  const indices = new Uint32Array(offsets[rows.length]!);
  const values = new Float32Array(offsets[rows.length]!);
  rows.forEach((r, i) => {
    indices.set(m.indices.subarray(m.offsets[r], m.offsets[r + 1]), offsets[i]);
    values.set(m.values.subarray(m.offsets[r], m.offsets[r + 1]), offsets[i]);
  });
  return { rows: rows.length, dim: m.dim, offsets, indices, values };
}

/** Pruned unit-length means of each cluster's rows; empty clusters are dropped and ids compacted. */
export function centroidsOf(
  m: SparseMatrix,
  assignment: Int32Array,
  k: number,
  terms: number,
): { centroids: SparseMatrix; sizes: number[]; remap: Int32Array } {
  const members: number[][] = Array.from({ length: k }, () => []);
  assignment.forEach((c, r) => {
    if (c >= 0) members[c]!.push(r);
  });
  const remap = new Int32Array(k).fill(-1);
  const acc = new Float64Array(m.dim);
  const touched: number[] = [];
  const rowsIdx: number[][] = [];
  const rowsVal: number[][] = [];
  const sizes: number[] = [];
  for (let c = 0; c < k; c++) {
    const list = members[c]!;
    if (list.length === 0) continue;
    touched.length = 0;
    for (const r of list) {
      for (let p = m.offsets[r]!; p < m.offsets[r + 1]!; p++) {
        const f = m.indices[p]!;
        if (acc[f] === 0) touched.push(f);
        acc[f]! += m.values[p]!;
      }
    }
    const top = touched.sort((a, b) => acc[b]! - acc[a]! || a - b).slice(0, terms);
    let norm = 0;
    for (const f of top) norm += acc[f]! * acc[f]!;
    norm = Math.sqrt(norm) || 1;
    top.sort((a, b) => a - b);
    rowsIdx.push(top);
    rowsVal.push(top.map((f) => acc[f]! / norm));
    for (const f of touched) acc[f] = 0;
    remap[c] = sizes.push(list.length) - 1;
  }
  const offsets = new Uint32Array(rowsIdx.length + 1);
  rowsIdx.forEach((r, i) => (offsets[i + 1] = offsets[i]! + r.length));
  const centroids: SparseMatrix = {
    rows: rowsIdx.length,
    dim: m.dim,
    offsets,
    indices: Uint32Array.from(rowsIdx.flat()),
    values: Float32Array.from(rowsVal.flat()),
  };
  return { centroids, sizes, remap };
}

function assign(
  m: SparseMatrix,
  index: StaticIndex,
  threshold: number,
  out: Int32Array,
  progress?: () => void,
): void {
  for (let r = 0; r < m.rows; r++) {
    const [c, s] = index.best(
      m.indices.subarray(m.offsets[r], m.offsets[r + 1]),
      m.values.subarray(m.offsets[r], m.offsets[r + 1]),
    );
    out[r] = s >= threshold ? c : -1;
    if (progress && (r & 4095) === 0) progress();
  }
}

/** A deterministic spread sample: every ⌈n / size⌉-th row, then the rest in order. */
function* sampleOrder(n: number, size: number): Generator<number> {
  const step = Math.max(1, Math.ceil(n / size));
  for (let r = 0; r < n; r += step) yield r;
}

class UnionFind {
  private readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
  }
  find(x: number): number {
    while (this.parent[x] !== x) {
      this.parent[x] = this.parent[this.parent[x]!]!;
      x = this.parent[x]!;
    }
    return x;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

export function clusterVectors(
  m: SparseMatrix,
  options: ClusterOptions = {},
  progress?: Progress,
): Clustering {
  const n = m.rows;
  const o = { ...defaultsFor(n), ...options };
  const tick = (phase: string, done: number) => progress?.(phase, done, 1);
  const assignment = new Int32Array(n).fill(-1);

  // 1. seeds from a sample
  tick('seeding', 0);
  const seedRows = leaders(
    m,
    sampleOrder(n, o.sampleSize),
    o.threshold,
    Math.ceil(Math.max(1000, o.sampleSize / 4)),
  );
  let centroids = pick(m, seedRows);
  let k = centroids.rows;

  // 2. k-means rounds; after the first, tickets nothing matched get a leader pass of their own
  /** New centroids from the current assignment; cluster ids are compacted in both. */
  const floor = Math.max(o.minClusterSize, Math.ceil(n * o.minClusterShare));
  /** Members of clusters below the floor become unassigned (before a recompute). */
  const dropSmall = () => {
    const count = new Uint32Array(k);
    for (let r = 0; r < n; r++) if (assignment[r]! >= 0) count[assignment[r]!]!++;
    for (let r = 0; r < n; r++) if (assignment[r]! >= 0 && count[assignment[r]!]! < floor) assignment[r] = -1;
  };
  const recompute = () => {
    const next = centroidsOf(m, assignment, k, o.centroidTerms);
    for (let r = 0; r < n; r++) if (assignment[r]! >= 0) assignment[r] = next.remap[assignment[r]!]!;
    centroids = next.centroids;
    k = centroids.rows;
  };
  for (let it = 0; it < o.iterations; it++) {
    tick('clustering', it / (o.iterations + 2));
    assign(m, new StaticIndex(centroids), o.threshold, assignment);
    dropSmall();
    if (it === 0) {
      // tickets nothing matched: a leader pass of their own; those like a new leader join it next round
      // (a spread sample of them, as for the seeds: the number of clusters, and so the cost of every
      // later round, must not grow with the number of tickets)
      const left: number[] = [];
      for (let r = 0; r < n; r++) if (assignment[r] === -1) left.push(r);
      const step = Math.max(1, Math.ceil(left.length / (o.sampleSize / 8)));
      const extra = leaders(
        m,
        left.filter((_, i) => i % step === 0),
        o.threshold,
        Math.ceil(Math.max(1000, o.sampleSize / 4)),
      );
      extra.forEach((r, i) => (assignment[r] = k + i));
      k += extra.length;
      if (extra.length && it + 1 === o.iterations) {
        recompute();
        assign(m, new StaticIndex(centroids), o.threshold, assignment);
        dropSmall();
      }
    }
    recompute();
  }

  // 3. merge close centroids, then one more round
  tick('merging', o.iterations / (o.iterations + 2));
  const idx = new StaticIndex(centroids);
  const uf = new UnionFind(k);
  for (let c = 0; c < k; c++) {
    const a = centroids.offsets[c]!;
    const b = centroids.offsets[c + 1]!;
    for (const d of idx.above(
      centroids.indices.subarray(a, b),
      centroids.values.subarray(a, b),
      o.mergeThreshold,
    )) {
      if (d !== c) uf.union(c, d);
    }
  }
  // the last round's assignment is still current for these centroids: relabel it, no new round needed
  for (let r = 0; r < n; r++) if (assignment[r]! >= 0) assignment[r] = uf.find(assignment[r]!);
  ({ centroids } = centroidsOf(m, assignment, k, o.centroidTerms));
  k = centroids.rows;
  assign(m, new StaticIndex(centroids), o.threshold, assignment);

  // 4. dissolve tiny clusters into their best neighbour (or noise)
  let final = centroidsOf(m, assignment, k, o.centroidTerms);
  const small = final.sizes.map((s) => s < floor);
  if (small.some(Boolean)) {
    const keep = final.remap.map((c) => (c >= 0 && !small[c] ? c : -1));
    for (let r = 0; r < n; r++) assignment[r] = assignment[r]! >= 0 ? keep[assignment[r]!]! : -1;
    const kept = centroidsOf(m, assignment, k, o.centroidTerms);
    const keptIndex = new StaticIndex(kept.centroids);
    for (let r = 0; r < n; r++) {
      const c = assignment[r]!;
      if (c >= 0) {
        assignment[r] = kept.remap[c]!;
        continue;
      }
      const [best, s] = keptIndex.best(
        m.indices.subarray(m.offsets[r], m.offsets[r + 1]),
        m.values.subarray(m.offsets[r], m.offsets[r + 1]),
      );
      assignment[r] = s >= o.threshold ? best : -1;
    }
    final = centroidsOf(m, assignment, kept.centroids.rows, o.centroidTerms);
  }
  for (let r = 0; r < n; r++) if (assignment[r]! >= 0) assignment[r] = final.remap[assignment[r]!]!;

  // 5. members far from their cluster's final centroid are noise, not members (DBSCAN's border points)
  if (o.noiseThreshold > 0) {
    let dropped = 0;
    for (let r = 0; r < n; r++) {
      const c = assignment[r]!;
      if (c >= 0 && dot(row(m, r), row(final.centroids, c)) < o.noiseThreshold) {
        assignment[r] = -1;
        dropped++;
      }
    }
    if (dropped) {
      final = centroidsOf(m, assignment, final.centroids.rows, o.centroidTerms);
      for (let r = 0; r < n; r++) if (assignment[r]! >= 0) assignment[r] = final.remap[assignment[r]!]!;
    }
  }
  tick('clustering', 1);
  return { assignment, centroids: final.centroids, sizes: final.sizes };
}

export { StaticIndex };
