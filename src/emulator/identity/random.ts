// A small seeded PRNG (mulberry32) so the identity platform and the fault injector draw the
// same token lifetimes, ids and fault decisions for the same seed and call order.
export interface SeededRandom {
  /** Uniform in [0, 1). */
  next(): number;
  /** Whole number in [min, max]. */
  int(min: number, max: number): number;
  /** A GUID-shaped id (version 4 layout), deterministic from the stream. */
  uuid(): string;
  /** `bytes` pseudo-random bytes as base64url. */
  token(bytes: number): string;
}

export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0 || 0x9e3779b9;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const byte = (): number => Math.floor(next() * 256);
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    uuid() {
      const b = Array.from({ length: 16 }, byte);
      b[6] = (b[6]! & 0x0f) | 0x40;
      b[8] = (b[8]! & 0x3f) | 0x80;
      const hex = b.map((x) => x.toString(16).padStart(2, '0')).join('');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
    token(bytes) {
      return Buffer.from(Array.from({ length: bytes }, byte)).toString('base64url');
    },
  };
}
