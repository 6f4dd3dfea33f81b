/**
 * Offline checks for the Zendesk app package, applying the rules Zendesk's own validator
 * (zendesk/zendesk_apps_support, run by `zcli apps:validate` against a real account) applies, plus a
 * few stricter ones of ours. Errors fail `npm run lint:app`; warnings are printed.
 *
 * Zendesk rule → here:
 *   manifest required fields, framework version, locations, parameter types/booleans  → errors
 *   oauth parameter secure / more than one oauth / hidden+required / parameter "name"  → errors
 *   secure or hidden parameter with a default              → warning there, error here
 *   text/password parameter named like token/key/pwd/password (we add "secret") not secure → warning there, error here
 *   secure parameter without `scopes`                      → warning (as there)
 *   translations: locale file names, JSON objects, listing keys in en.json → errors
 *   private/loopback/link-local IP in JS or HTML            → error; plain http:// URL → warning
 *   secret-looking values in text files                    → warning there, error here (values, not words)
 *   unsupported file types (zip, pdf, …), symlinks          → errors
 */

export interface Finding {
  file: string;
  message: string;
}

export interface LintResult {
  errors: Finding[];
  warnings: Finding[];
}

const LOCATIONS: Record<string, readonly string[]> = {
  support: [
    'ticket_sidebar',
    'new_ticket_sidebar',
    'user_sidebar',
    'organization_sidebar',
    'top_bar',
    'nav_bar',
    'background',
    'modal',
    'ticket_editor',
    'system_top_bar',
  ],
};
const PARAMETER_TYPES = ['text', 'password', 'checkbox', 'url', 'number', 'multiline', 'hidden', 'oauth'];
const SECRET_NAME = /token|key|secret|pwd|password/i;
const LOCALE_FILE = /^translations\/([a-z]{2}(?:-\w{2,3})?)\.json$/;
const LISTING_KEYS = ['name', 'short_description', 'long_description', 'installation_instructions'];
const ALLOWED_TOP = new Set(['manifest.json', 'requirements.json']);
const ALLOWED_DIRS = ['assets/', 'translations/'];
const BLOCKED_EXTENSIONS =
  /\.(zip|rar|gz|tgz|bz2?|7z|jar|pdf|docx?|xlsx?|pptx?|odt|mp3|mpeg|avi|exe|bin|sh|csh)$/i;
const TEXT_EXTENSIONS = /\.(js|mjs|html|css|json|svg|txt|md|map)$/i;
const LOGOS = { 'assets/logo.png': 320, 'assets/logo-small.png': 128 } as const;

/** Values that are secrets whatever they are called. */
const SECRET_VALUES: [string, RegExp][] = [
  ['private key', /-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP )?PRIVATE KEY(?: BLOCK)?-----/],
  ['AWS access key id', /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['Slack token', /\bxox[abpors]-[0-9A-Za-z-]{10,}/],
  ['GitHub token', /\b(?:gh[pousr]_[0-9A-Za-z]{36}|github_pat_[0-9A-Za-z_]{40,})\b/],
  ['Stripe secret key', /\b[rs]k_live_[0-9A-Za-z]{16,}/],
  ['JSON Web Token', /\beyJ[0-9A-Za-z_-]{8,}\.eyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{16,}/],
];
/** A long literal assigned to something named like a credential: `apiKey: "…"`, `secret="…"`. */
const SECRET_ASSIGNMENT =
  /\b([A-Za-z_$][\w$]*(?:secret|token|password|passwd|api_?key|apikey|private_?key)[\w$]*)["']?\s*[:=]\s*["']([A-Za-z0-9+/_\-.=]{16,})["']/gi;
const IPV4 = /\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b/g;
const HTTP_URL = /\bhttp:\/\/[^\s"'`)<>]+/g;
const XML_NAMESPACE = /^http:\/\/www\.w3\.org\//;

function blockedIpKind(ip: string): string | null {
  const [a, b] = ip.split('.').map(Number) as [number, number, number, number];
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 169 && b === 254) return 'link-local';
  return null;
}

export function pngSize(buf: Buffer): { width: number; height: number } | null {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (buf.length < 24 || !buf.subarray(0, 8).equals(signature) || buf.toString('ascii', 12, 16) !== 'IHDR')
    return null;
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

function isBareHostname(v: string): boolean {
  return /^(?:\*\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i.test(v);
}

function validUrl(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

type Json = Record<string, unknown>;

/** `files`: path inside the package → content. Paths use forward slashes, no leading "./". */
export function lintPackage(files: Map<string, Buffer>, options: { symlinks?: string[] } = {}): LintResult {
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  const err = (file: string, message: string) => errors.push({ file, message });
  const warn = (file: string, message: string) => warnings.push({ file, message });

  for (const link of options.symlinks ?? []) err(link, 'symlinks are not allowed in the package');

  // Package layout.
  for (const path of files.keys()) {
    const allowed = ALLOWED_TOP.has(path) || ALLOWED_DIRS.some((d) => path.startsWith(d));
    if (!allowed)
      err(path, 'not part of an app package (only manifest.json, assets/, translations/, requirements.json)');
    if (path.split('/').some((seg) => seg.startsWith('.')))
      err(path, 'hidden files do not belong in the package');
    if (BLOCKED_EXTENSIONS.test(path)) err(path, 'Zendesk rejects this file type in apps');
    if (path.endsWith('.map')) warn(path, 'source map shipped in the package');
  }

  // Manifest.
  const manifestBuf = files.get('manifest.json');
  if (!manifestBuf) {
    err('manifest.json', 'missing at the root of the package');
    return { errors, warnings };
  }
  let manifest: Json;
  try {
    manifest = JSON.parse(manifestBuf.toString('utf8')) as Json;
  } catch (e) {
    err('manifest.json', `not valid JSON: ${(e as Error).message}`);
    return { errors, warnings };
  }
  const m = 'manifest.json';
  const author = manifest.author as Json | undefined;
  if (!author || typeof author !== 'object') err(m, 'missing required field: author');
  else {
    for (const k of ['name', 'email'])
      if (typeof author[k] !== 'string' || !author[k]) err(m, `author.${k} must be a non-empty string`);
    if (author.url !== undefined && !validUrl(author.url)) err(m, 'author.url must be a valid URL');
  }
  if (typeof manifest.name !== 'string' || !manifest.name) err(m, 'name must be a non-empty string');
  if (typeof manifest.version !== 'string') err(m, 'version must be a string');
  if (manifest.frameworkVersion !== '2.0')
    err(m, `frameworkVersion must be "2.0", got ${JSON.stringify(manifest.frameworkVersion)}`);
  for (const k of ['private', 'singleInstall', 'signedUrls', 'requirementsOnly', 'marketingOnly']) {
    if (manifest[k] !== undefined && typeof manifest[k] !== 'boolean') err(m, `${k} must be a boolean`);
  }
  const defaultLocale = manifest.defaultLocale;
  if (typeof defaultLocale !== 'string') err(m, 'missing required field: defaultLocale');
  else if (!/^[a-z]{2}(-\w{2,3})?$/.test(defaultLocale))
    err(m, `${defaultLocale} is not a valid default locale`);
  else if (!files.has(`translations/${defaultLocale}.json`))
    err(m, `missing translations/${defaultLocale}.json for the default locale`);
  const experiments = manifest.experiments as Json | undefined;
  for (const [name, on] of Object.entries(experiments ?? {})) {
    if (on && !['hashParams', 'newCssCompiler'].includes(name)) err(m, `unknown experiment: ${name}`);
  }

  // Locations.
  const location = manifest.location as Record<string, Record<string, unknown>> | undefined;
  const usedLocations: string[] = [];
  if (!location || typeof location !== 'object' || Object.keys(location).length === 0)
    err(m, 'missing required field: location');
  else {
    for (const [host, locs] of Object.entries(location)) {
      const known = LOCATIONS[host];
      if (!known) {
        err(m, `${host} is an invalid host for apps`);
        continue;
      }
      for (const [name, value] of Object.entries(locs ?? {})) {
        if (!known.includes(name)) {
          err(m, `${name} is an invalid location in ${host}`);
          continue;
        }
        usedLocations.push(name);
        const opts = (typeof value === 'string' ? { url: value } : value) as Json;
        const url = opts.url;
        if (typeof url !== 'string' || !url) {
          if (opts.autoLoad !== false) err(m, `${name} location does not specify a URL`);
        } else if (/^[a-z]+:\/\//i.test(url)) {
          const u = new URL(url);
          if (u.protocol !== 'https:' && u.hostname !== 'localhost') err(m, `${name}: ${url} must use https`);
        } else if (!url.startsWith('assets/')) err(m, `${name}: ${url} must be under assets/`);
        else if (!files.has(url.split(/[?#]/)[0]!)) err(m, `${name}: ${url} is not in the package`);
        if (opts.flexible !== undefined && typeof opts.flexible !== 'boolean')
          err(m, `${name}: flexible must be a boolean`);
        if (opts.noTemplate !== undefined) err(m, 'noTemplate is deprecated in framework version 2');
      }
    }
  }

  // Parameters.
  const parameters = manifest.parameters;
  const paramNames: string[] = [];
  if (parameters !== undefined && !Array.isArray(parameters)) err(m, 'parameters must be an array');
  if (Array.isArray(parameters)) {
    let oauth = 0;
    for (const raw of parameters as Json[]) {
      const name = String(raw.name ?? '');
      const type = (raw.type as string | undefined) ?? 'text';
      const where = `${m} parameter "${name}"`;
      if (!name) err(m, 'a parameter has no name');
      if (paramNames.includes(name)) err(m, `duplicate parameter: ${name}`);
      paramNames.push(name);
      if (name === 'name') err(m, "a parameter can't be called 'name'");
      if (!PARAMETER_TYPES.includes(type)) err(where, `${type} is an invalid parameter type`);
      for (const k of ['required', 'secure'])
        if (raw[k] !== undefined && typeof raw[k] !== 'boolean') err(where, `${k} must be a boolean`);
      if (type === 'hidden' && raw.required) err(where, 'hidden parameters cannot be required');
      if (type === 'oauth') {
        oauth += 1;
        if (raw.secure) err(where, 'oauth parameters cannot be secure');
      }
      if ((raw.secure || type === 'hidden') && 'default' in raw)
        err(where, 'secure and hidden parameters must not have a default');
      if (SECRET_NAME.test(name) && (type === 'text' || type === 'password') && !raw.secure) {
        err(where, 'named like a credential, so it must be secure');
      }
      if (raw.secure) {
        const scopes = raw.scopes;
        if (scopes !== undefined && (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string'))) {
          err(where, 'scopes must be an array of strings');
        } else if (!Array.isArray(scopes) || scopes.length === 0) {
          warn(where, 'secure parameter without scopes (Zendesk warns; confirm with zcli apps:validate)');
        }
      }
    }
    if (oauth > 1) err(m, "too many parameters with type 'oauth': one permitted");
  }

  const whitelist = manifest.domainWhitelist;
  if (whitelist !== undefined) {
    if (!Array.isArray(whitelist) || !whitelist.every((d) => typeof d === 'string'))
      err(m, 'domainWhitelist must be an array of strings');
    else
      for (const d of whitelist)
        if (!isBareHostname(d))
          err(m, `domainWhitelist entry "${d}" must be a bare domain (no scheme, port or path)`);
  }

  // Translations.
  const listingParams = new Map<string, Json>();
  for (const [path, buf] of files) {
    if (!path.startsWith('translations/')) continue;
    const match = LOCALE_FILE.exec(path);
    if (!match) {
      err(path, 'not a valid locale file name (translations/<locale>.json)');
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(buf.toString('utf8'));
    } catch (e) {
      err(path, `not valid JSON: ${(e as Error).message}`);
      continue;
    }
    if (!json || typeof json !== 'object' || Array.isArray(json)) {
      err(path, 'not a JSON object');
      continue;
    }
    const app = (json as Json).app as Json | undefined;
    if (match[1] === 'en') {
      const mandatory = manifest.private === true ? ['name'] : LISTING_KEYS;
      // `description` is still accepted in place of `short_description`.
      const missing = mandatory.filter((k) => {
        const v = app?.[k] ?? (k === 'short_description' ? app?.description : undefined);
        return typeof v !== 'string' || v.length === 0;
      });
      if (missing.length) err(path, `missing required key: ${missing.map((k) => `app.${k}`).join(', ')}`);
      for (const [k, v] of Object.entries((app?.parameters as Json | undefined) ?? {}))
        listingParams.set(k, v as Json);
    }
  }
  for (const name of paramNames) {
    const p = listingParams.get(name);
    if (!p || typeof p.label !== 'string' || !p.label)
      err('translations/en.json', `app.parameters.${name}.label is missing`);
  }

  // Marketplace images.
  for (const [path, size] of Object.entries(LOGOS)) {
    const buf = files.get(path);
    const dims = buf ? pngSize(buf) : null;
    if (!buf) err(path, `missing (Marketplace logo, ${size}×${size} PNG)`);
    else if (!dims) err(path, 'not a PNG file');
    else if (dims.width !== size || dims.height !== size)
      err(path, `must be ${size}×${size}, is ${dims.width}×${dims.height}`);
  }
  for (const loc of ['top_bar', 'nav_bar']) {
    if (usedLocations.includes(loc) && !files.has(`assets/icon_${loc}.svg`))
      warn(`assets/icon_${loc}.svg`, `missing: Zendesk shows a default icon for ${loc}`);
  }

  // File contents.
  for (const [path, buf] of files) {
    if (!TEXT_EXTENSIONS.test(path)) continue;
    const text = buf.toString('utf8');
    if (path.endsWith('.svg')) {
      if (/<script\b|\son[a-z]+\s*=|<foreignObject\b|javascript:/i.test(text))
        err(path, 'SVG contains script or event handlers');
      if (/<image\b/i.test(text))
        err(path, 'SVG embeds a bitmap; Zendesk replaces such icons with a placeholder');
      if (/\b(?:xlink:)?href\s*=\s*["'](?!#)/i.test(text)) err(path, 'SVG references an external resource');
    }
    if (/\.(m?js|html)$/.test(path)) {
      for (const ip of new Set(text.match(IPV4) ?? [])) {
        const kind = blockedIpKind(ip);
        if (kind) err(path, `possible request to a ${kind} IP ${ip} (Zendesk refuses the package)`);
      }
      const insecure = [...new Set(text.match(HTTP_URL) ?? [])].filter(
        (u) => !XML_NAMESPACE.test(u) && !/^http:\/\/localhost\b/.test(u),
      );
      if (insecure.length)
        warn(
          path,
          `plain http:// URL: ${insecure.slice(0, 3).join(', ')}${insecure.length > 3 ? ', …' : ''}`,
        );
    }
    for (const [kind, re] of SECRET_VALUES)
      if (re.test(text)) err(path, `contains what looks like a ${kind}`);
    for (const match of text.matchAll(SECRET_ASSIGNMENT)) {
      const value = match[2]!;
      // Placeholders Zendesk fills in server-side are the point of secure settings, not leaks.
      if (/^\{\{.*\}\}$/.test(value) || /^[a-z]+(?:[._-][a-z]+)*$/.test(value)) continue;
      err(path, `literal value assigned to ${match[1]}`);
    }
  }

  return { errors, warnings };
}
