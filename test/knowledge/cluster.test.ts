import { clusterVectors, defaultsFor } from '../../server/knowledge/cluster';
import { Vectorizer, dot, row } from '../../server/knowledge/vectors';

describe('clustering of ticket vectors', () => {
  const texts = [
    ...Array.from({ length: 5 }, () => 'where is my refund'),
    ...Array.from({ length: 3 }, () => 'refund status'),
    'where is my refund for the order', // close to the first group, but not like it
  ];
  const v = new Vectorizer({ minDf: 1 });
  for (const t of texts) v.add(t);
  const m = v.fit();
  const far = texts.length - 1;
  const loose = { threshold: 0.25, mergeThreshold: 0.4 };

  test('when a member is far from its cluster’s final centroid, then it is left as noise', () => {
    const kept = clusterVectors(m, { ...loose, noiseThreshold: 0 }); // it joins at this threshold…
    expect(kept.assignment[far]).toBe(kept.assignment[0]);
    const cosine = dot(row(m, far), row(kept.centroids, kept.assignment[far]!));
    expect(cosine).toBeGreaterThan(0.25);
    expect(cosine).toBeLessThan(0.6);
    const cleaned = clusterVectors(m, { ...loose, noiseThreshold: 0.6 }); // …but is no core member
    expect(cleaned.assignment[far]).toBe(-1);
    expect([...cleaned.assignment.subarray(0, far)].every((c) => c >= 0)).toBe(true);
    expect(cleaned.sizes.reduce((a, b) => a + b, 0)).toBe(far); // sizes count members only
  });

  test('with the thresholds used from a few thousand tickets on, the loose ticket stays out', () => {
    const { threshold, mergeThreshold, noiseThreshold } = defaultsFor(10_000);
    const { assignment } = clusterVectors(m, { threshold, mergeThreshold, noiseThreshold });
    expect(new Set(assignment.subarray(0, 5)).size).toBe(1);
    expect(new Set(assignment.subarray(5, 8)).size).toBe(1);
    expect(assignment[0]).toBeGreaterThanOrEqual(0);
    expect(assignment[far]).toBe(-1);
  });

  test('thresholds are loose for a few hundred tickets and tight from a few thousand', () => {
    expect(defaultsFor(60)).toMatchObject({ threshold: 0.25, mergeThreshold: 0.4, noiseThreshold: 0 });
    expect(defaultsFor(2000)).toMatchObject({ threshold: 0.5, mergeThreshold: 0.55, noiseThreshold: 0.6 });
    expect(defaultsFor(200_000)).toEqual(defaultsFor(2000));
    const mid = defaultsFor(632); // geometric middle
    expect(mid.threshold).toBeCloseTo(0.375, 2);
    expect(mid.noiseThreshold).toBeCloseTo(0.3, 2);
  });
});
