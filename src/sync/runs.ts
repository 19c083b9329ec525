// Sync runs' lifecycle; the SQL lives in src/stores/run-lifecycle.ts. Kept so the sync's callers import it from here.
export * from '../stores/run-lifecycle.ts';
