/**
 * Help Center-safe HTML for what a reviewer typed: an allow-list of tags and attributes (Zendesk's
 * "safe" set, narrowed to what an article needs), every other tag dropped with its text kept, script,
 * style and embedded content dropped with their content, links only to http(s) and mailto.
 */

const ALLOWED = new Set([
  'p', 'br', 'h2', 'h3', 'h4', 'ul', 'ol', 'li', 'strong', 'b', 'em', 'i', 'u', 'code', 'pre', 'blockquote',
  'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'hr',
]); // prettier-ignore
const VOID = new Set(['br', 'hr']);
const DROP_WITH_CONTENT = /^(script|style|iframe|object|embed|noscript|template|svg|math|textarea|select)$/;
const ATTRS: Record<string, Set<string>> = {
  a: new Set(['href', 'title']),
  th: new Set(['colspan', 'rowspan']),
  td: new Set(['colspan', 'rowspan']),
};

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
const escapeText = (s: string) => s.replace(/</g, '&lt;').replace(/>/g, '&gt;');

function safeHref(raw: string): string | null {
  const v = raw.trim().replace(/&amp;/g, '&');
  return /^(https?:\/\/|mailto:)/i.test(v) ? v : null;
}

export function sanitizeArticleHtml(html: string): string {
  let out = '';
  const open: string[] = [];
  const tag = /<!--[\s\S]*?-->|<\/?([a-zA-Z][a-zA-Z0-9]*)\b((?:[^>"']|"[^"]*"|'[^']*')*)>/g;
  let last = 0;
  let dropping: string | null = null;
  for (let m = tag.exec(html); m; m = tag.exec(html)) {
    const text = html.slice(last, m.index);
    if (!dropping) out += escapeText(text);
    last = tag.lastIndex;
    if (!m[1]) continue; // comment
    const name = m[1].toLowerCase();
    const closing = m[0].startsWith('</');
    if (dropping) {
      if (closing && name === dropping) dropping = null;
      continue;
    }
    if (DROP_WITH_CONTENT.test(name)) {
      if (!closing && !m[0].endsWith('/>')) dropping = name;
      continue;
    }
    if (!ALLOWED.has(name)) continue;
    if (closing) {
      const at = open.lastIndexOf(name);
      if (at < 0) continue;
      while (open.length > at) out += `</${open.pop()}>`;
      continue;
    }
    let attrs = '';
    const allowed = ATTRS[name];
    if (allowed) {
      const attr = /([a-zA-Z-]+)\s*=\s*("([^"]*)"|'([^']*)'|([^\s"'>]+))/g;
      for (let a = attr.exec(m[2] ?? ''); a; a = attr.exec(m[2] ?? '')) {
        const key = a[1]!.toLowerCase();
        if (!allowed.has(key)) continue;
        const value = a[3] ?? a[4] ?? a[5] ?? '';
        if (key === 'href') {
          const href = safeHref(value);
          if (href) attrs += ` href="${escapeAttr(href)}"`;
        } else if (key === 'title') attrs += ` title="${escapeAttr(value)}"`;
        else if (/^\d{1,2}$/.test(value)) attrs += ` ${key}="${value}"`;
      }
    }
    out += `<${name}${attrs}>`;
    if (!VOID.has(name)) open.push(name);
  }
  if (!dropping) out += escapeText(html.slice(last));
  while (open.length) out += `</${open.pop()}>`;
  return out.trim();
}
