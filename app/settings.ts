/**
 * Installation settings as the admin typed them (manifest parameters). `shared_secret` is secure and
 * never reaches the browser; Zendesk's proxy uses it to sign requests.
 */
export interface AppSettings {
  /** Service base URL without a trailing slash; also the JWT audience. */
  serviceUrl?: string;
  /** The CCP page streams embeds, e.g. https://acme.my.connect.aws/ccp-v2/ */
  ccpUrl?: string;
  connectRegion?: string;
}

export type SettingsProblem =
  'service_url_missing' | 'service_url_invalid' | 'connect_url_missing' | 'connect_url_invalid';

export interface ParsedSettings {
  settings: AppSettings;
  problems: SettingsProblem[];
}

function parseHttpUrl(value: string): URL | null {
  try {
    const url = new URL(value.trim());
    // Plain http only for a service or CCP double running on this machine (zcli apps:server, tests).
    if (url.protocol === 'https:' || (url.protocol === 'http:' && url.hostname === 'localhost')) return url;
    return null;
  } catch {
    return null;
  }
}

/** Accepts the instance base URL (https://alias.my.connect.aws) or a full CCP URL and returns the CCP URL. */
export function ccpUrlFrom(value: string): string | null {
  const url = parseHttpUrl(value);
  if (!url) return null;
  const path = url.pathname.replace(/\/+$/, '');
  if (/\/ccp-v2$/.test(path)) return `${url.origin}${path}/`;
  // Instances created before 2021 live under <alias>.awsapps.com/connect.
  if (url.hostname.endsWith('.awsapps.com')) return `${url.origin}/connect/ccp-v2/`;
  return `${url.origin}/ccp-v2/`;
}

export function parseSettings(raw: Record<string, unknown> | undefined): ParsedSettings {
  const problems: SettingsProblem[] = [];
  const settings: AppSettings = {};
  const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

  const service = str(raw?.service_url);
  if (!service) problems.push('service_url_missing');
  else {
    const url = parseHttpUrl(service);
    if (url && !url.search && !url.hash)
      settings.serviceUrl = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    else problems.push('service_url_invalid');
  }

  const connect = str(raw?.connect_instance_url);
  if (!connect) problems.push('connect_url_missing');
  else {
    const ccp = ccpUrlFrom(connect);
    if (ccp) settings.ccpUrl = ccp;
    else problems.push('connect_url_invalid');
  }

  const region = str(raw?.connect_region);
  if (/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) settings.connectRegion = region;
  return { settings, problems };
}
