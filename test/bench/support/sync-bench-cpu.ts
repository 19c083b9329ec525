// Where a sync's CPU went: docsync's process, the emulator's, and the Postgres server's (every
// backend of it, including those that exited meanwhile — the postmaster reaps them, so their time
// shows in its cutime/cstime). Linux /proc only; null where it cannot tell.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

interface Stat {
  ppid: number;
  self: number;
  children: number;
}

function stat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const n = (i: number) => Number(fields[i - 3]);
    return { ppid: n(4), self: (n(14) + n(15)) / TICKS_PER_SECOND, children: (n(16) + n(17)) / TICKS_PER_SECOND };
  } catch {
    return null;
  }
}

export function processCpuSeconds(pid: number): number | null {
  const s = stat(pid);
  return s ? s.self + s.children : null;
}

export function postgresServerCpuSeconds(postmasterPid: number): number | null {
  const postmaster = stat(postmasterPid);
  if (!postmaster) return null;
  let total = postmaster.self + postmaster.children;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s && s.ppid === postmasterPid) total += s.self;
  }
  return total;
}

/** The postmaster of the server a backend belongs to: the backend's parent. */
export function postmasterOf(backendPid: number): number | null {
  return stat(backendPid)?.ppid ?? null;
}

export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
