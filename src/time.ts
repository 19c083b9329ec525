// Lengths of time the code counts in milliseconds (Date arithmetic).
export const DAY_MS = 86_400_000;

/** The one source of "now": injected everywhere so tests can move time without sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Waits (or throws the signal's reason when it aborts): injected so tests never really sleep. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;
