/** Small typed-array structures for the vectoriser's hot loops (no per-ticket Maps or arrays). */

/** Growable typed arrays: per-ticket Maps and arrays would cost more in GC than the work itself. */
export class U32 {
  data = new Uint32Array(1024);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const next = new Uint32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = x;
  }
}
export class F32 {
  data = new Float32Array(1024);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const next = new Float32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = x;
  }
}

/**
 * (a, b, view) → feature id, open addressing over typed arrays: a Map keyed by packed pairs would
 * hash heap doubles, several times slower on the hot path of vectorising.
 */
export class PairTable {
  private keysA = new Int32Array(1 << 16).fill(-1);
  private keysB = new Int32Array(1 << 16);
  private vals = new Int32Array(1 << 16);
  private size = 0;

  private slot(a: number, b: number, keysA: Int32Array, keysB: Int32Array): number {
    const mask = keysA.length - 1;
    let i = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 7, 0x85ebca77)) & mask;
    while (keysA[i] !== -1 && (keysA[i] !== a || keysB[i] !== b)) i = (i + 1) & mask;
    return i;
  }

  get(a: number, b: number): number {
    const i = this.slot(a, b, this.keysA, this.keysB);
    return this.keysA[i] === -1 ? -1 : this.vals[i]!;
  }

  set(a: number, b: number, value: number): void {
    if (2 * (this.size + 1) > this.keysA.length) this.grow();
    const i = this.slot(a, b, this.keysA, this.keysB);
    if (this.keysA[i] === -1) this.size++;
    this.keysA[i] = a;
    this.keysB[i] = b;
    this.vals[i] = value;
  }

  private grow(): void {
    const [oldA, oldB, oldV] = [this.keysA, this.keysB, this.vals];
    this.keysA = new Int32Array(oldA.length * 2).fill(-1);
    this.keysB = new Int32Array(oldA.length * 2);
    this.vals = new Int32Array(oldA.length * 2);
    for (let j = 0; j < oldA.length; j++) {
      if (oldA[j] === -1) continue;
      const i = this.slot(oldA[j]!, oldB[j]!, this.keysA, this.keysB);
      this.keysA[i] = oldA[j]!;
      this.keysB[i] = oldB[j]!;
      this.vals[i] = oldV[j]!;
    }
  }
}

/** Feature counts of one text, reused from text to text (no Map per text). */
export class TermCounts {
  ids: number[] = [];
  counts: number[] = [];
  private mark = new Int32Array(1024).fill(-1);
  private pos = new Int32Array(1024);
  private stamp = 0;

  reset(): void {
    this.ids.length = 0;
    this.counts.length = 0;
    this.stamp++;
  }

  add(f: number): void {
    if (f >= this.mark.length) {
      const mark = new Int32Array(Math.max(f + 1, this.mark.length * 2)).fill(-1);
      mark.set(this.mark);
      const pos = new Int32Array(mark.length);
      pos.set(this.pos);
      this.mark = mark;
      this.pos = pos;
    }
    if (this.mark[f] === this.stamp) this.counts[this.pos[f]!]!++;
    else {
      this.mark[f] = this.stamp;
      this.pos[f] = this.ids.push(f) - 1;
      this.counts.push(1);
    }
  }
}

/** Sorts positions 0..count-1 of `order` by ascending ids[position] (rows are short: insertion sort). */
export function sortByIds(order: number[], ids: number[], count: number): void {
  order.length = 0;
  for (let k = 0; k < count; k++) {
    let j = k;
    while (j > 0 && ids[order[j - 1]!]! > ids[k]!) {
      order[j] = order[j - 1]!;
      j--;
    }
    order[j] = k;
  }
}
