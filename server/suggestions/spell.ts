/**
 * Typo tolerance for query words the index has never seen ("refnd", "adress", "pasword"): a
 * symmetric-delete dictionary (the SymSpell idea) over the index's own vocabulary finds words within
 * one edit (insert, delete, substitute, or swap of neighbours) without scanning the vocabulary.
 */
export class SpellIndex {
  private readonly deletes = new Map<string, string[]>();
  private readonly known = new Map<string, number>();

  /** `count`: how often the word occurs in the index; more frequent words win ties. */
  add(word: string, count = 1): void {
    if (word.length < 4 || /\d/.test(word)) return;
    const prev = this.known.get(word);
    this.known.set(word, (prev ?? 0) + count);
    if (prev !== undefined) return;
    for (const d of deletions(word)) {
      const list = this.deletes.get(d);
      if (list) list.push(word);
      else this.deletes.set(d, [word]);
    }
    const own = this.deletes.get(word);
    if (own) own.push(word);
    else this.deletes.set(word, [word]);
  }

  has(word: string): boolean {
    return this.known.has(word);
  }

  /** Known words one edit away from `word`, most frequent first; [] for known or short words. */
  suggest(word: string, limit = 2): string[] {
    if (word.length < 4 || this.known.has(word) || /\d/.test(word)) return [];
    const found = new Set<string>();
    for (const key of [word, ...deletions(word)]) {
      for (const cand of this.deletes.get(key) ?? []) {
        if (cand !== word && withinOneEdit(word, cand)) found.add(cand);
      }
    }
    return [...found].sort((a, b) => (this.known.get(b) ?? 0) - (this.known.get(a) ?? 0)).slice(0, limit);
  }
}

function deletions(word: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < word.length; i++) out.push(word.slice(0, i) + word.slice(i + 1));
  return out;
}

/** Damerau distance ≤ 1 (with adjacent transposition), in one pass. */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a[i] === b[i]) i++;
  if (la === lb) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true; // substitution
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2); // swap
  }
  return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}
