/**
 * Quality of a gap report against known intents. A gap counts for the intent most of its tickets
 * have; it is right when that intent has no article.
 */

export interface GapQuality {
  gaps: number;
  /** Gaps whose main intent is hidden / all gaps. */
  precision: number;
  /** Hidden intents that are the main intent of at least one gap / hidden intents. */
  recall: number;
  /** Tickets of hidden intents inside gaps / gap tickets. */
  ticketPrecision: number;
  /** Tickets of hidden intents inside gaps / all tickets of hidden intents. */
  ticketRecall: number;
  /** Σ main-intent tickets / Σ tickets, over the gaps. */
  gapPurity: number;
  missed: string[];
  wrong: string[];
}

export interface ClusterQuality {
  clusters: number;
  /** Σ main-intent tickets / Σ clustered tickets. */
  purity: number;
  /** Share of tickets in no cluster. */
  noise: number;
  /** Mean over intents of the largest share of that intent held by one cluster. */
  inverseSplit: number;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

function majority(ids: number[], labelOf: (id: number) => string | undefined): [string, number] {
  const counts = new Map<string, number>();
  for (const id of ids) {
    const l = labelOf(id) ?? '?';
    counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  let best: [string, number] = ['?', 0];
  for (const [l, c] of counts) if (c > best[1] || (c === best[1] && l < best[0])) best = [l, c];
  return best;
}

export function gapQuality(
  gaps: Array<{ ticketIds: number[] }>,
  labelOf: (id: number) => string | undefined,
  hidden: readonly string[],
  totalHiddenTickets: number,
): GapQuality {
  const found = new Set<string>();
  const wrong: string[] = [];
  let right = 0;
  let hiddenTickets = 0;
  let all = 0;
  let main = 0;
  for (const g of gaps) {
    const [intent, count] = majority(g.ticketIds, labelOf);
    main += count;
    all += g.ticketIds.length;
    for (const id of g.ticketIds) if (hidden.includes(labelOf(id) ?? '')) hiddenTickets++;
    if (hidden.includes(intent)) {
      right++;
      found.add(intent);
    } else wrong.push(intent);
  }
  return {
    gaps: gaps.length,
    precision: r3(gaps.length ? right / gaps.length : 1),
    recall: r3(found.size / hidden.length),
    ticketPrecision: r3(all ? hiddenTickets / all : 1),
    ticketRecall: r3(totalHiddenTickets ? hiddenTickets / totalHiddenTickets : 1),
    gapPurity: r3(all ? main / all : 1),
    missed: hidden.filter((h) => !found.has(h)),
    wrong,
  };
}

/** Purity and splitting of a clustering (row → cluster, -1 noise) against row labels. */
export function clusterQuality(assignment: ArrayLike<number>, labels: readonly string[]): ClusterQuality {
  const byCluster = new Map<number, number[]>();
  let noise = 0;
  for (let r = 0; r < assignment.length; r++) {
    const c = assignment[r]!;
    if (c < 0) noise++;
    else byCluster.set(c, [...(byCluster.get(c) ?? []), r]);
  }
  let main = 0;
  let clustered = 0;
  const bestShare = new Map<string, number>();
  const intentSize = new Map<string, number>();
  for (const l of labels) intentSize.set(l, (intentSize.get(l) ?? 0) + 1);
  for (const rows of byCluster.values()) {
    const [, count] = majority(rows, (r) => labels[r]);
    main += count;
    clustered += rows.length;
    const per = new Map<string, number>();
    for (const r of rows) per.set(labels[r]!, (per.get(labels[r]!) ?? 0) + 1);
    for (const [l, c] of per) bestShare.set(l, Math.max(bestShare.get(l) ?? 0, c / intentSize.get(l)!));
  }
  const intents = [...intentSize.keys()];
  return {
    clusters: byCluster.size,
    purity: r3(clustered ? main / clustered : 0),
    noise: r3(assignment.length ? noise / assignment.length : 0),
    inverseSplit: r3(intents.reduce((s, l) => s + (bestShare.get(l) ?? 0), 0) / intents.length),
  };
}
