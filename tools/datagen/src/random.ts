/**
 * Counter-based pseudo-random numbers: the values of row `index` of a stream depend only on (seed, stream,
 * index), never on the rows generated before. That makes every row reproducible on its own, so an order
 * can recompute its customer's aliases and start date, and the order lines stream can recompute an
 * order's lines, without holding anything in memory (flat memory at 10M rows).
 *
 * The mixer is splitmix32 (Steele, Lea & Flood's SplitMix finaliser on 32 bits): a few integer
 * multiplications per value, statistically fine for test data, and several times faster than a
 * general-purpose PRNG library object per row.
 */
function mix32(value: number): number {
  let z = value | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function streamSalt(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i += 1) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

export class RowRandom {
  private readonly base: number;
  private state = 0;

  constructor(seed: number, stream: string) {
    this.base = mix32(mix32(seed) ^ streamSalt(stream));
  }

  /** Positions the generator on row `index`; the following draws are that row's. Returns `this`. */
  at(index: number): this {
    // Two mixes so that neighbouring indexes (and indexes above 2^32) land on unrelated states.
    this.state = mix32(this.base ^ mix32(index | 0) ^ Math.floor(index / 0x100000000));
    return this;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x9e3779b9) | 0;
    return mix32(this.state) / 0x100000000;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Picks by cumulative weights, e.g. [['paid', 0.8], ['canceled', 1]]. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const draw = this.next();
    for (const [value, upTo] of choices) if (draw < upTo) return value;
    return (choices[choices.length - 1] as readonly [T, number])[0];
  }
}
