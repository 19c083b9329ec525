// Starts one Postgres server for the whole run unless DATABASE_URL points at one. Each test
// file creates its own database on it (test/support/databases.ts).
import type { TestProject } from 'vitest/node';
import { startPostgres, type PostgresServer } from './postgres-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
  }
}

let server: PostgresServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  let url = process.env.DATABASE_URL;
  if (!url) {
    server = await startPostgres();
    url = server.url;
  }
  project.provide('postgresAdminUrl', url);
}

export async function teardown(): Promise<void> {
  server?.stop();
}
