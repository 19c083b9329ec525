// Seeded, allocation-light randomness for the emulator's world. Every generated value is a
// pure function of (seed, keys...), so any single tenant, user or device can be rebuilt on
// its own without generating what comes before it.
import { GUID } from '../../ids.ts';

/** 32-bit hash of a list of numbers/strings (murmur3-style mixing, stable across runs). */
export function hash32(...parts: ReadonlyArray<number | string>): number {
  let h = 0x811c9dc5 | 0;
  for (const part of parts) {
    if (typeof part === 'number') {
      h = mix(h ^ (part | 0));
      h = mix(h ^ Math.floor(part / 4294967296));
    } else {
      for (let i = 0; i < part.length; i++) h = Math.imul(h ^ part.charCodeAt(i), 0x01000193);
      h = mix(h ^ part.length);
    }
  }
  return h >>> 0;
}

function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) | 0;
}

export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
  /** integer in [0, n) */
  int(n: number): number;
  /** integer in [min, max] */
  between(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  uint32(): number;
}

/** mulberry32: tiny, fast, good enough for test data. */
export function rngFrom(...parts: ReadonlyArray<number | string>): Rng {
  let state = hash32(...parts);
  const uint32 = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => uint32() / 4294967296;
  return {
    next,
    uint32,
    int: (n) => Math.floor(next() * n),
    between: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
  };
}

const HEX = '0123456789abcdef';
function hex8(n: number): string {
  let s = '';
  for (let i = 7; i >= 0; i--) s += HEX[(n >>> (i * 4)) & 15];
  return s;
}

/** A v4-looking GUID from seeded randomness. */
export function guidFrom(rng: Rng): string {
  return guidFromWords(rng.uint32(), rng.uint32(), rng.uint32(), rng.uint32());
}

export function guidFromWords(a: number, b: number, c: number, d: number): string {
  const w1 = hex8(a);
  const w2 = hex8(((b & 0xffff0fff) | 0x00004000) >>> 0); // version 4
  const w3 = hex8(((c & 0x3fffffff) | 0x80000000) >>> 0); // RFC 4122 variant
  const w4 = hex8(d);
  return `${w1}-${w2.slice(0, 4)}-${w2.slice(4)}-${w3.slice(0, 4)}-${w3.slice(4)}${w4}`;
}

/**
 * An invertible GUID: the last 8 hex digits carry a scrambled `index` (a bijection on 32 bits
 * keyed by `mask`), the rest is seeded noise. Lets the world find user #i (or tenant #i) from
 * its id without an id→index map, while ids of neighbours still look unrelated.
 */
export function indexedGuid(mask: number, index: number, ...parts: ReadonlyArray<number | string>): string {
  const rng = rngFrom(...parts, index);
  return guidFromWords(rng.uint32(), rng.uint32(), rng.uint32(), scramble(index, mask));
}

/** The index an indexedGuid carries (verify by regenerating: any GUID decodes to something). */
export function indexFromGuid(mask: number, guid: string): number | undefined {
  if (!GUID.test(guid)) return undefined;
  return unscramble(Number.parseInt(guid.slice(-8), 16), mask);
}

const K1 = 0x9e3779b1;
const K2 = 0x85ebca6b;
const K1_INV = oddInverse(K1);
const K2_INV = oddInverse(K2);

function oddInverse(k: number): number {
  let inv = k;
  for (let i = 0; i < 5; i++) inv = Math.imul(inv, 2 - Math.imul(k, inv));
  return inv;
}
const fold = (x: number): number => x ^ (x >>> 16);

function scramble(index: number, mask: number): number {
  return fold(Math.imul(fold(Math.imul(index ^ mask, K1)), K2)) >>> 0;
}
function unscramble(value: number, mask: number): number {
  return (Math.imul(fold(Math.imul(fold(value | 0), K2_INV)), K1_INV) ^ mask) >>> 0;
}

export function hexString(rng: Rng, length: number, upper = false): string {
  let s = '';
  while (s.length < length) s += hex8(rng.uint32());
  s = s.slice(0, length);
  return upper ? s.toUpperCase() : s;
}
