import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { buildApp } from '../../../src/app.ts';
import { createTestContext } from '../../support/context.ts';
import {
  call,
  HOSTILE_NAMES,
  PASSWORD,
  seedContents,
  seedTenants,
  startWebWorld,
  type Seeded,
  type SeededContents,
  type WebWorld,
} from './support.ts';

/** A <script> element without a src attribute: inline code, which the CSP forbids. */
const INLINE_SCRIPT = /<script(?![^>]*\bsrc=)[^>]*>/i;

describe.each(DATABASE_KINDS)('the HTML pages on %s', (kind) => {
  let world: WebWorld;
  let seeded: Seeded;
  let contents: SeededContents;
  let pages: string[];
  beforeAll(async () => {
    world = await startWebWorld(kind);
    seeded = await seedTenants(world.ctx);
    contents = await seedContents(world.ctx, seeded, world.clock.now());
    const contoso = seeded.tenants.contoso!.id;
    pages = [
      '/',
      '/tenants',
      '/tenants?state=suggested&search=north',
      `/tenants/${contoso}/contacts`,
      `/tenants/${contoso}/contacts?decision=review`,
      `/tenants/${contoso}/users/${contents.users.adele}`,
      `/tenants/${contoso}/users/${contents.users.hostile}`,
      `/tenants/${contoso}/configurations`,
      `/tenants/${contoso}/licenses`,
      `/tenants/${seeded.tenants.script!.id}/contacts`,
      '/integrations',
      `/integrations/${seeded.integrationId}`,
      '/sync-runs',
      `/sync-runs/${contents.runId}`,
      '/account',
      '/api/docs',
    ];
  });
  afterAll(async () => {
    await world?.close();
  });

  it('sends visitors without a session to the sign-in page, remembering where they were going', async () => {
    const response = await call(world, null, 'GET', '/tenants?state=matched');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/sign-in?next=%2Ftenants%3Fstate%3Dmatched');
    const signIn = await call(world, null, 'GET', '/sign-in?next=%2Forganizations');
    expect(signIn.statusCode).toBe(200);
    expect(signIn.body).toContain('<label for="password">Password</label>');
  });

  it('signs in through the form and goes back only to a path on this site', async () => {
    const form = (next: string, password = PASSWORD) =>
      world.app.inject({
        method: 'POST',
        url: '/sign-in',
        remoteAddress: '192.0.2.50',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ username: 'technician-user', password, next }).toString(),
      });
    const ok = await form('/sync-runs');
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/sync-runs');
    expect(ok.cookies.find((c) => c.name === 'docsync_session')?.httpOnly).toBe(true);
    expect((await form('//evil.example/x')).headers.location).toBe('/');
    expect((await form('https://evil.example')).headers.location).toBe('/');
    const wrong = await form('/sync-runs', 'wrong password');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['content-type']).toMatch(/text\/html/);
    expect(wrong.body).toContain('The username or password is wrong.');
    expect(wrong.body).not.toContain('wrong password');
  });

  it('renders every page with a strict CSP and no inline script', async () => {
    for (const url of pages) {
      const response = await call(world, 'read_only', 'GET', url);
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      const csp = String(response.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(response.body, url).not.toMatch(INLINE_SCRIPT);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('renders hostile names inert: escaped, direction-isolated, never as markup', async () => {
    for (const url of pages) {
      const body = (await call(world, 'read_only', 'GET', url)).body;
      expect(body, url).not.toContain(HOSTILE_NAMES.script);
      expect(body, url).not.toContain('<b>bold</b>');
    }
    const organizations = (await call(world, 'read_only', 'GET', '/tenants?pageSize=200')).body;
    expect(organizations).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(organizations).toContain('&quot;Quote&#39;s&quot; &#96;back&#96; &amp; &lt;b&gt;bold&lt;/b&gt;');
    expect(organizations).toContain(
      '<bdi class="name">Contoso<abbr class="bidi" title="hidden direction control U+202E">[U+202E]</abbr>gnp.exe<abbr class="bidi" ' +
        'title="hidden direction control U+202C">[U+202C]</abbr> Ltd</bdi>',
    );
    expect(organizations).not.toContain('\u202E');
    expect(organizations).toContain(`<bdi class="name">${HOSTILE_NAMES.huge}</bdi>`);
    const page = (await call(world, 'read_only', 'GET', `/tenants/${seeded.tenants.script!.id}/contacts`)).body;
    expect(page).toMatch(/<title>Contacts of &lt;script&gt;alert\(1\)&lt;\/script&gt; · docsync<\/title>/);
    const runLog = (await call(world, 'read_only', 'GET', `/sync-runs/${contents.runId}`)).body;
    expect(runLog).toContain('consent missing for tenant &lt;script&gt;');
  });

  it('shows actions to technicians and none to read-only accounts', async () => {
    const technician = (await call(world, 'technician', 'GET', '/tenants?state=suggested')).body;
    expect(technician).toContain(`data-api="POST /api/tenants/${seeded.tenants.northwind!.id}/accept"`);
    expect(technician).toContain('Bulk accept');
    const readOnly = (await call(world, 'read_only', 'GET', '/tenants?state=suggested')).body;
    expect(readOnly).not.toContain('data-api="POST /api/tenants/');
    expect(readOnly).toContain('read-only');
    const review = (await call(world, 'technician', 'GET', `/tenants/${seeded.tenants.contoso!.id}/contacts?decision=review`)).body;
    expect(review).toContain(`"contactId":"${contents.contacts.alexOne}"`.replace(/"/g, '&quot;'));
    expect((await call(world, 'technician', 'GET', '/account')).body).not.toContain('Technician accounts');
    expect((await call(world, 'administrator', 'GET', '/integrations')).body).toContain(
      `href="/integrations/${seeded.integrationId}/connect"`,
    );
    expect((await call(world, 'technician', 'GET', '/integrations')).body).not.toContain('/connect"');
    expect((await call(world, 'administrator', 'GET', '/account')).body).toContain('Technician accounts');
  });

  it('shows administrators the audit log with before and after, and nobody else', async () => {
    await call(world, 'technician', 'POST', `/api/tenants/${seeded.tenants.tailspin!.id}/ignore`);
    const audit = await call(world, 'administrator', 'GET', '/audit');
    expect(audit.statusCode).toBe(200);
    expect(audit.body).toContain('organization match · ignore');
    // The change as the field that changed, not JSON.
    expect(audit.body).toMatch(/<span class="field">state<\/span>: <del>[^<]+<\/del> → <ins>ignored<\/ins>/);
    expect(audit.body).not.toContain('&quot;state&quot;');
    const forbidden = await call(world, 'technician', 'GET', '/audit');
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.body).toContain('<h1>Not allowed</h1>');
  });

  it('marks a running sync for the live view, with a progress bar', async () => {
    const body = (await call(world, 'read_only', 'GET', `/sync-runs/${contents.runId}`)).body;
    expect(body).toContain(`data-live-run="/api/sync-runs/${contents.runId}"`);
    expect(body).toMatch(/<progress id="run-progress" max="8" value="3">/);
  });

  it('answers errors on pages as HTML with the request id', async () => {
    const missing = await call(world, 'read_only', 'GET', '/tenants/00000000-0000-4000-8000-000000000000/contacts');
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toContain('<h1>Not found</h1>');
    expect(missing.body).toContain(missing.headers['x-request-id'] as string);
    const badQuery = await call(world, 'read_only', 'GET', '/tenants?state=<script>');
    expect(badQuery.statusCode).toBe(400);
    expect(badQuery.body).not.toContain('<script>');
    const signOut = await world.app.inject({
      method: 'POST',
      url: '/sign-out',
      headers: { cookie: world.as.read_only.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    expect(signOut.statusCode).toBe(403);
    const signedOut = await world.app.inject({
      method: 'POST',
      url: '/sign-out',
      headers: { cookie: world.as.read_only.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `_csrf=${encodeURIComponent(world.as.read_only.csrf)}`,
    });
    expect(signedOut.statusCode).toBe(303);
    expect((await call(world, 'read_only', 'GET', '/api/me')).statusCode).toBe(401);
  });

  it('refuses request bodies over the size limit', async () => {
    const response = await world.app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { username: 'x', password: 'y'.repeat(2_000_000) },
    });
    expect(response.statusCode).toBe(413);
  });
});

describe('empty states', () => {
  it('tells a new installation what to do next on every list page', async () => {
    const world = await startWebWorld('pglite');
    try {
      const organizations = (await call(world, 'read_only', 'GET', '/tenants')).body;
      expect(organizations).toContain('No customer tenants yet.');
      expect(organizations).toContain('<a href="/integrations">Integrations</a>');
      expect((await call(world, 'read_only', 'GET', '/integrations')).body).toContain('Ask an administrator');
      expect((await call(world, 'administrator', 'GET', '/integrations')).body).toContain('Add an integration');
      expect((await call(world, 'read_only', 'GET', '/sync-runs')).body).toContain('No sync has run yet.');
      expect((await call(world, 'read_only', 'GET', '/account')).body).toContain('No API tokens yet.');
    } finally {
      await world.close();
    }
  });

  it('offers the first-run setup page only with a valid link', async () => {
    const ctx = await createTestContext('pglite');
    const app = await buildApp(ctx);
    try {
      const response = await app.inject({ method: 'GET', url: '/setup?token=made-up' });
      expect(response.statusCode).toBe(404);
      expect(response.body).toContain('This setup link was used already or has expired.');
    } finally {
      await app.close();
      await ctx.close();
    }
  });
});
