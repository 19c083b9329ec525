// The technician surface: security headers, cookies, login rate limits, the OpenAPI document,
// the guards, and every JSON API route and HTML page. buildApp registers it once.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.ts';
import { publicBaseUrl } from '../config.ts';
import { installGuards } from './guards.ts';
import { openapiOptions } from './openapi.ts';
import { authApiRoutes } from './api/auth.ts';
import { mfaApiRoutes } from './api/mfa.ts';
import { passkeyApiRoutes } from './api/passkeys.ts';
import { tenantMatchApiRoutes } from './api/tenant-matches.ts';
import { tenantContentApiRoutes } from './api/tenant-contents.ts';
import { operationsApiRoutes } from './api/operations.ts';
import { actionApiRoutes } from './api/actions.ts';
import { accountPageRoutes } from './pages/account-pages.ts';
import { mfaPageRoutes } from './pages/mfa-pages.ts';
import { ssoRoutes } from './pages/sso-pages.ts';
import { reviewPageRoutes } from './pages/review-pages.ts';
import { reviewFormRoutes } from './pages/review-forms.ts';
import { operationsPageRoutes } from './pages/operations-pages.ts';
import { attentionApiRoutes } from './api/attention.ts';
import { homePageRoutes } from './pages/home-page.ts';
import { organizationApiRoutes } from './api/organizations.ts';
import { organizationPageRoutes } from './pages/organization-pages.ts';
import { searchApiRoutes } from './api/search.ts';
import { searchPageRoutes } from './pages/search-page.ts';
import { actionPageRoutes } from './pages/action-pages.ts';
import { tenantMfaApiRoutes } from './api/tenant-mfa.ts';
import { tenantMfaPageRoutes } from './pages/tenant-mfa-page.ts';
import { tenantGroupApiRoutes } from './api/tenant-groups.ts';
import { tenantGroupsPageRoutes } from './pages/tenant-groups-page.ts';
import { reportApiRoutes } from './api/reports.ts';
import { reportPageRoutes } from './pages/report-pages.ts';
import { licenseRefreshApiRoutes } from './api/license-refresh.ts';
import { tenantConnectionRoutes } from './tenant-connection.ts';

async function surface(app: FastifyInstance, { ctx }: { ctx: AppContext }): Promise<void> {
  const https = publicBaseUrl(ctx.config).startsWith('https:');
  await app.register(cookie);
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    hsts: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'same-origin' },
  });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error(`Too many attempts from your address. Try again in ${context.after}.`), {
        statusCode: 429,
        code: 'RATE_LIMITED',
      }),
  });
  await app.register(
    swagger,
    openapiOptions(publicBaseUrl(ctx.config), {
      info: {
        title: 'docsync API',
        version: '1',
        description:
          'Everything the technician UI does. Authenticate with the session cookie (send the X-CSRF-Token header on writes) ' +
          'or a personal API token: Authorization: Bearer dsk_….',
      },
    }),
  );

  await app.register(async (scoped) => {
    installGuards(scoped, ctx);
    const typed = scoped.withTypeProvider<TypeBoxTypeProvider>();
    typed.get('/api/openapi.json', { config: { access: 'signedIn' }, schema: { hide: true } }, async () => app.swagger());
    await typed.register(authApiRoutes, { ctx });
    await typed.register(mfaApiRoutes, { ctx });
    await typed.register(passkeyApiRoutes, { ctx });
    await typed.register(tenantMatchApiRoutes, { ctx });
    await typed.register(tenantContentApiRoutes, { ctx });
    await typed.register(operationsApiRoutes, { ctx });
    await typed.register(actionApiRoutes, { ctx });
    await typed.register(accountPageRoutes, { ctx });
    await typed.register(mfaPageRoutes, { ctx });
    await typed.register(ssoRoutes, { ctx });
    await typed.register(reviewPageRoutes, { ctx });
    await typed.register(reviewFormRoutes, { ctx });
    await typed.register(operationsPageRoutes, { ctx });
    await typed.register(attentionApiRoutes, { ctx });
    await typed.register(homePageRoutes, { ctx });
    await typed.register(organizationApiRoutes, { ctx });
    await typed.register(organizationPageRoutes, { ctx });
    await typed.register(searchApiRoutes, { ctx });
    await typed.register(searchPageRoutes, { ctx });
    await typed.register(actionPageRoutes, { ctx });
    await typed.register(tenantMfaApiRoutes, { ctx });
    await typed.register(tenantMfaPageRoutes, { ctx });
    await typed.register(tenantGroupApiRoutes, { ctx });
    await typed.register(tenantGroupsPageRoutes, { ctx });
    await typed.register(reportApiRoutes, { ctx });
    await typed.register(reportPageRoutes, { ctx });
    await typed.register(licenseRefreshApiRoutes, { ctx });
    await typed.register(tenantConnectionRoutes, { ctx });
  });
}

export const technicianSurface = fp(surface, { name: 'docsync-technician-surface', fastify: '5.x' });
