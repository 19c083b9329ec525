// Flags that make the emulator behave like Microsoft under load, shared by `docsync emulator`
// and `docsync demo`: --latency p50=MS,p99=MS (answer times, src/emulator/latency.ts).
import { LatencySpecError, parseLatencySpec, type LatencySpec } from '../emulator/latency.ts';
import { UsageError } from './args.ts';

export const MICROSOFT_LIKE_FLAGS = {
  latency: { type: 'string' },
} as const;

export interface MicrosoftLikeOptions {
  latency?: LatencySpec;
}

export function microsoftLikeOptions(values: { latency?: string }): MicrosoftLikeOptions {
  if (values.latency === undefined) return {};
  try {
    return { latency: parseLatencySpec(values.latency) };
  } catch (err) {
    if (err instanceof LatencySpecError) throw new UsageError(`--latency: ${err.message}`);
    throw err;
  }
}
