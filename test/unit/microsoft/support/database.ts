// A docsync context for src/microsoft tests: the shared test context, pointed at the given
// Microsoft endpoints (the emulator) and clock.
import type { AppContext, Clock } from '../../../../src/context.ts';
import type { DatabaseKind } from '../../../../src/db/database.ts';
import { createTestContext } from '../../../support/context.ts';

export async function createMicrosoftTestContext(
  kind: DatabaseKind,
  options: { authorityHost?: string; graphBaseUrl?: string; clock?: Clock; log?: AppContext['log'] } = {},
): Promise<AppContext> {
  return createTestContext(kind, {
    config: {
      microsoft: {
        authorityHost: options.authorityHost ?? 'https://login.microsoftonline.com',
        graphBaseUrl: options.graphBaseUrl ?? 'https://graph.microsoft.com',
      },
    },
    overrides: { ...(options.log ? { log: options.log } : {}), ...(options.clock ? { clock: options.clock } : {}) },
  });
}
