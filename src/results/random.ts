/** A source of uniform numbers in [0, 1), like Math.random. */
export type Random = () => number;

/** FNV-1a over UTF-16 code units: a tiny, stable 32-bit string hash to turn seed text into a PRNG seed. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: small, fast and good enough for simulation; not for anything secret. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A PRNG whose whole sequence is fixed by the given parts, so a run can be replayed exactly. */
export function seededRandom(...parts: Array<string | number>): Random {
  return mulberry32(hashString(parts.join('\u0000')));
}
