/**
 * Whether the service knows this Zendesk account (GET /v1/install/status, straight from the iframe with
 * CORS: before the first connect the account has no shared secret, so the request cannot be signed).
 * Used by the top bar's connect card and the nav_bar's Account view.
 */
export interface InstallStatus {
  status: 'not_connected' | 'active' | 'suspended';
  purgeAfter?: string;
  /** The service offers the OAuth connect (it has the Zendesk OAuth client configured). */
  install: boolean;
}

export function parseInstallStatus(v: unknown): InstallStatus | null {
  const o = v as Record<string, unknown> | null;
  if (!o || !['not_connected', 'active', 'suspended'].includes(o.status as string)) return null;
  return {
    status: o.status as InstallStatus['status'],
    install: o.install === true,
    ...(typeof o.purgeAfter === 'string' ? { purgeAfter: o.purgeAfter } : {}),
  };
}

/** null when there is nothing to ask (no service URL or subdomain) or the service cannot say. */
export async function fetchInstallStatus(
  base: string | undefined,
  subdomain: string | undefined,
): Promise<InstallStatus | null> {
  if (!base || !subdomain) return null;
  try {
    const r = await fetch(`${base}/v1/install/status?subdomain=${encodeURIComponent(subdomain)}`);
    return r.ok ? parseInstallStatus(await r.json()) : null;
  } catch {
    return null;
  }
}
