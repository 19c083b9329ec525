// The sync log's writer and readers are a store (src/stores/sync-log.ts); the sync's modules
// import them from here.
export { readSyncLog, readSyncLogPage, writeSyncLog, type SyncLogEntry } from '../stores/sync-log.ts';
