import { Router, type Request, type RequestHandler, type Response } from 'express';
import { AppError } from '../errors';
import type { InstallResult, InstallService } from '../install/service';
import type { Tenant, TenantRepo } from '../tenants/repo';
import type { ZendeskApi } from '../zendesk/types';
import { requireAppAuth } from './app-auth';
import { requireAdmin } from './billing-routes';
import { forgetIngestKeys } from './connect-events';

export interface InstallRoutesDeps {
  install: InstallService;
  tenants: TenantRepo;
  publicUrl: string;
  /** Confirms with Zendesk that the user disconnecting is an admin (as the billing endpoints do). */
  zendeskFor?: (tenant: Tenant) => Promise<ZendeskApi>;
}

const COOKIE = 'concierge_install';

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=') || undefined;
  }
  return undefined;
}

const escape = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

const wantsJson = (req: Request): boolean => req.accepts(['html', 'json']) === 'json';

/**
 * /v1/install/*: the OAuth install flow a Zendesk admin goes through from the app (no CLI).
 *   GET  /v1/install/status?subdomain=S   → { subdomain, status, install }   (CORS; no secret in it)
 *   GET  /v1/install/start?subdomain=S    → 302 to Zendesk's authorization page (+ browser-binding cookie)
 *   GET  /v1/install/callback?code&state  → the secrets and setup steps, once (HTML, or JSON on Accept)
 *   POST /v1/app/install/disconnect       → app-signed, admin: uninstall (work stops, purge after grace)
 */
export function installRouter(deps: InstallRoutesDeps): Router {
  const router = Router();
  const secureCookie = deps.publicUrl.startsWith('https:');
  const noStore: RequestHandler = (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  };

  router.get('/v1/install/status', noStore, async (req, res) => {
    // Read from the app's iframe directly (not through Zendesk's proxy): the tenant has no secret yet.
    res.setHeader('Access-Control-Allow-Origin', '*');
    const state = await deps.install.status(req.query.subdomain);
    res.json({
      subdomain: state.subdomain,
      status: state.status,
      ...(state.reason ? { reason: state.reason } : {}),
      ...(state.purgeAfter ? { purgeAfter: state.purgeAfter } : {}),
      install: deps.install.enabled,
    });
  });

  router.get('/v1/install/start', noStore, async (req, res) => {
    const started = await deps.install.start({
      subdomain: req.query.subdomain,
      ...(req.query.zendesk_url !== undefined ? { zendeskUrl: req.query.zendesk_url } : {}),
    });
    res.cookie(COOKIE, started.browserNonce, {
      httpOnly: true,
      secure: secureCookie,
      // Lax: sent on Zendesk's top-level redirect back to the callback, not on cross-site subrequests.
      sameSite: 'lax',
      path: '/v1/install',
      maxAge: started.expiresInMs,
    });
    res.redirect(302, started.redirectUrl);
  });

  router.get('/v1/install/callback', noStore, async (req, res) => {
    res.clearCookie(COOKIE, { path: '/v1/install', httpOnly: true, secure: secureCookie, sameSite: 'lax' });
    try {
      const result = await deps.install.complete({
        state: req.query.state,
        code: req.query.code,
        error: req.query.error,
        browserNonce: readCookie(req, COOKIE),
      });
      if (wantsJson(req)) {
        res.json(result);
        return;
      }
      res.type('html').send(resultPage(result));
    } catch (err) {
      if (!(err instanceof AppError) || wantsJson(req)) throw err;
      res.status(err.status).type('html').send(errorPage(err));
    }
  });

  router.post(
    '/v1/app/install/disconnect',
    requireAppAuth({ audience: deps.publicUrl, secretFor: (t) => deps.tenants.appSecret(t) }),
    requireAdmin(
      deps.zendeskFor
        ? {
            roleOf: async (tenantId, userId) => {
              const tenant = await deps.tenants.get(tenantId);
              return tenant
                ? (await deps.zendeskFor!(tenant)).getUserRole(userId, { priority: 'live' })
                : null;
            },
          }
        : {},
    ),
    async (_req, res: Response) => {
      const state = await deps.install.uninstall(res.locals.tenant as string);
      forgetIngestKeys(res.locals.tenant as string);
      res.json({ status: state.status, purgeAfter: state.purgeAfter });
    },
  );
  return router;
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#2f3941}
code,pre{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px;word-break:break-all;white-space:pre-wrap}
.secret{display:block;padding:.5rem;margin:.25rem 0 1rem;user-select:all}.warn{color:#8c232c}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<title>${escape(title)}</title><style>${STYLE}</style></head><body><h1>${escape(title)}</h1>${body}</body></html>`;
}

function resultPage(r: InstallResult): string {
  const c = r.created;
  const webhooks = r.webhooks.ok
    ? `<p>Resolution webhooks and ${r.webhooks.triggers} triggers are set up in Zendesk.</p>`
    : `<p class="warn">The resolution webhook could not be set up (${escape(r.webhooks.error)}). Your operator can
       run <code>concierge tenant setup-webhooks --tenant ${escape(c.tenant)} --webhook-secret …</code> with the
       webhook secret below.</p>`;
  return page(
    `Concierge is connected to ${c.tenant}`,
    `<p class="warn"><strong>These secrets are shown only once.</strong> Copy them now.</p>
<h2>1. The app's shared secret</h2>
<p>In Admin Center → Apps and integrations → Zendesk Support apps → Concierge → Settings, paste it into
<em>shared_secret</em> and save. The app signs every call to the service with it.</p>
<code class="secret" data-secret="appSecret">${escape(c.appSecret)}</code>
<h2>2. Amazon Connect events (EventBridge)</h2>
<ol>
<li>Create a <strong>connection</strong> with API-key authorization: header <code>Authorization</code>,
value <code class="secret" data-secret="authorizationHeader">${escape(r.eventBridge.authorizationHeader)}</code></li>
<li>Create an <strong>API destination</strong>: <code>POST ${escape(r.eventBridge.endpoint)}</code> using that connection.</li>
<li>Create a <strong>rule</strong> on the default event bus with the pattern
<code>${escape(JSON.stringify(r.eventBridge.eventPattern))}</code> targeting the API destination.</li>
<li>Add the app's origin (<code>https://&lt;app_id&gt;.apps.zdusercontent.com</code>) to the Connect instance's approved origins.</li>
</ol>
<p>deploy/cloudformation.yaml creates the connection, destination and rule from the ingest key.</p>
<h2>3. Webhooks</h2>${webhooks}
<p>Webhook secret (only needed to re-run the webhook setup):</p>
<code class="secret" data-secret="webhookSecret">${escape(c.webhookSecret)}</code>`,
  );
}

function errorPage(err: AppError): string {
  return page(
    'Concierge could not connect this account',
    `<p>${escape(err.message)}</p><p><code>${escape(err.code)}</code></p>
<p>Close this window and use <em>Connect this account</em> in the app again.</p>`,
  );
}
