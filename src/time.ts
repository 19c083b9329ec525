// Lengths of time the code counts in milliseconds (Date arithmetic).
export const DAY_MS = 86_400_000;
