// A tenant's status is a documentation service (src/docs/tenant-status.ts); the pages import it from here.
export * from '../../docs/tenant-status.ts';
