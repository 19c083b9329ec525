// Flags that make the emulator behave like Microsoft under load, shared by `docsync emulator`
// and `docsync demo`: --latency p50=MS,p99=MS (answer times, src/emulator/latency.ts) and
// --throttle (Microsoft's documented limits, src/emulator/graph/throttle.ts). They are separate:
// latency alone shows how docsync copes with slow answers, throttling alone how it paces itself.
import { LatencySpecError, parseLatencySpec, type LatencySpec } from '../emulator/latency.ts';
import { UsageError } from './args.ts';

export const MICROSOFT_LIKE_FLAGS = {
  latency: { type: 'string' },
  throttle: { type: 'boolean' },
} as const;

export interface MicrosoftLikeOptions {
  latency?: LatencySpec;
  throttle?: boolean;
}

export function microsoftLikeOptions(values: { latency?: string; throttle?: boolean }): MicrosoftLikeOptions {
  const throttle = values.throttle ? { throttle: true } : {};
  if (values.latency === undefined) return throttle;
  try {
    return { latency: parseLatencySpec(values.latency), ...throttle };
  } catch (err) {
    if (err instanceof LatencySpecError) throw new UsageError(`--latency: ${err.message}`);
    throw err;
  }
}
