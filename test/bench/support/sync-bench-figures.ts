// What one scale of the sync bench measures (support/sync-bench-scale.ts) and reports to
// test/bench/sync.bench.ts, which prints the table and the verdicts.
import type { SyncTrigger } from '../../../src/db/schema.ts';
import type { TableWrites } from './sync-bench-postgres.ts';

export interface ScaleInput {
  adminUrl: string;
  tenants: number;
  usersPerTenant: number;
  seed: number;
  concurrency: number;
  /** sync.maxConcurrency of every worker (the adaptive limit's ceiling), or null for the configured default. */
  maxConcurrency: number | null;
  trigger: SyncTrigger;
  /** Write a heap snapshot into heapSnapshotDir the first time RSS passes this many MB. */
  heapSnapshotMb: number | null;
  heapSnapshotDir: string;
  /** At most this many rows for the raw INSERT yardstick. */
  rawRowsCap: number;
  /** Sync worker processes sharing the database and queue (this one + workers - 1 others). */
  workers: number;
  /** The emulator's --latency (e.g. p50=200,p99=1500), or null for none. */
  latency: string | null;
  /** The emulator enforces Microsoft's documented limits (--throttle). */
  throttle: boolean;
}

/**
 * Staged Microsoft records, documentation and the reports' data (issue 17: groups, MFA, activity,
 * report figures and the daily snapshot, which a re-sync the same UTC day must not take again): a
 * no-change re-sync must write none of these.
 */
export const DOCUMENTATION_TABLES = [
  'organizations',
  'contacts',
  'contact_emails',
  'configurations',
  'match_decisions',
  'tenant_documentation_state',
  'ms_users',
  'ms_managed_devices',
  'ms_mailboxes',
  'ms_subscribed_skus',
  'ms_groups',
  'ms_group_members',
  'ms_user_registration_details',
  'ms_user_activity',
  'tenant_mfa_status',
  'tenant_report_figures',
  'tenant_snapshots',
] as const;

/** Rows a run wrote into the daily snapshots (inserted, updated or pruned). */
export const snapshotRows = (writes: Record<string, { inserted: number; updated: number; deleted: number }>): number => {
  const w = writes.tenant_snapshots;
  return w ? w.inserted + w.updated + w.deleted : 0;
};

export interface SyncFigures {
  seconds: number;
  usersPerSecond: number;
  created: number;
  updated: number;
  graphRequests: number;
  throttled: number;
  failedTenants: number;
  /** Sum of the tenant runs' own durations ÷ wall time: how many tenants ran at once on average. */
  parallelism: number;
  slowestTenantSeconds: number;
  rowsWritten: number;
  documentationRowsWritten: number;
  writesByTable: TableWrites;
  /** The sync's start and end on the clock of --cpu-prof profiles (µs). */
  profileWindowMicroseconds: [number, number];
  /** CPU seconds spent during the sync, per process (the machine has 2 cores for all three). */
  cpuSeconds: { docsync: number | null; emulator: number | null; postgres: number | null };
}

export interface ScaleResult {
  tenants: { requested: number; discovered: number; active: number; synced: number; failed: number };
  usersPerTenant: number;
  users: number;
  stagedUsers: number;
  intuneTenants: number;
  devices: number;
  stagedDevices: number;
  trigger: SyncTrigger;
  concurrency: number;
  maxConcurrency: number | null;
  workers: number;
  latency: string | null;
  throttle: boolean;
  setupSeconds: { emulatorAndWorld: number; discovery: number };
  /** Sync log lines of the first sync, per code (resources a tenant did not allow, etc.). */
  first: SyncFigures & { logCodes: Record<string, number>; minimumRequests: number; requestsOverMinimum: number };
  resync: SyncFigures & {
    ofFirst: number;
    /** Tenants whose derived documentation expired by time alone before the re-sync ended (a user crossed the inactivity line). */
    tenantsExpiredByTime: number;
    /** Tenants whose documentation state the re-sync rewrote; WithoutExpiry: of those, not explained by time. */
    tenantsRederived: number;
    tenantsRederivedWithoutExpiry: number;
  };
  database: { rowsPerSecond: number; raw: { rows: number; rowWidthBytes: number; seconds: number; rowsPerSecond: number }; ofRaw: number };
  memory: {
    docsyncPeakRssMb: number;
    docsyncSampledPeakRssMb: number;
    docsyncRssBeforeSyncMb: number;
    docsyncPeakHeapUsedMb: number;
    emulatorPeakRssMb: number | null;
  };
  loadAverage: { start: number; end: number };
}

export const MINIMUM_IS =
  'per tenant: 1 $batch (organization, domains, subscribedSkus, reportSettings, the change feed start, a signInActivity probe, the first ' +
  'pages of Intune, groups/delta and MFA registration) ' +
  '+ users ÷ 500 pages (Graph caps pages with signInActivity at 500; ÷ 999 without it) + Intune pages beyond the first (1,000 each) ' +
  '+ groups/delta pages beyond the first (Graph chooses their size; groups and members) ' +
  '+ MFA registration pages beyond the first (userRegistrationDetails, 999 each) ' +
  '+ 2 for the mailbox report and 4 for the two app-activity reports when read (each a 302, then the download); ' +
  'reads a tenant denied, lacks the licence for, or conceals (reports) need none';
