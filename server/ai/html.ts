/**
 * Help Center article HTML → plain text with structure kept as blank lines: headings and block
 * elements become paragraph breaks, list items become lines, script/style/comments disappear, and
 * entities are decoded. Help Center bodies are sanitised HTML, so a tag scanner is enough here and
 * far faster than building a DOM for 10,000 articles.
 */

const BLOCK =
  /^(p|div|section|article|header|footer|aside|main|h[1-6]|ul|ol|li|table|thead|tbody|tr|td|th|blockquote|pre|hr|br|dl|dt|dd|figure|figcaption|details|summary)$/;

const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  copy: '©',
  reg: '®',
  trade: '™',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  deg: '°',
  middot: '·',
  bull: '•',
  times: '×',
  eacute: 'é',
  egrave: 'è',
  ecirc: 'ê',
  aacute: 'á',
  agrave: 'à',
  acirc: 'â',
  iacute: 'í',
  oacute: 'ó',
  ocirc: 'ô',
  uacute: 'ú',
  ugrave: 'ù',
  ntilde: 'ñ',
  ccedil: 'ç',
  auml: 'ä',
  ouml: 'ö',
  uuml: 'ü',
  Auml: 'Ä',
  Ouml: 'Ö',
  Uuml: 'Ü',
  szlig: 'ß',
  iexcl: '¡',
  iquest: '¿',
};

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const code =
        body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED[body] ?? NAMED[body.toLowerCase()] ?? whole;
  });
}

export interface HtmlBlock {
  /** 'heading' for h1–h6, else 'text'. */
  kind: 'heading' | 'text';
  text: string;
}

/** The article as a sequence of headings and text blocks (list items are lines inside a block). */
export function htmlToBlocks(html: string): HtmlBlock[] {
  const cleaned = html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|noscript|template|svg)\b[\s\S]*?<\/\1\s*>/gi, ' ');
  const blocks: HtmlBlock[] = [];
  let buf = '';
  let heading = false;
  const flush = () => {
    const text = decodeEntities(buf)
      .replace(/[ \t\f\v\u00a0]+/g, ' ')
      .replace(/ *\n */g, '\n')
      .replace(/\n{2,}/g, '\n')
      .trim();
    if (text) blocks.push({ kind: heading ? 'heading' : 'text', text });
    buf = '';
  };
  const tagRe = /<\/?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>/g;
  let last = 0;
  for (let m = tagRe.exec(cleaned); m; m = tagRe.exec(cleaned)) {
    buf += cleaned.slice(last, m.index).replace(/\s+/g, ' ');
    last = tagRe.lastIndex;
    const name = m[1]!.toLowerCase();
    if (!BLOCK.test(name)) continue;
    const closing = m[0][1] === '/';
    const isHeading = /^h[1-6]$/.test(name);
    if (name === 'li' || name === 'br' || name === 'tr' || name === 'dt' || name === 'dd') {
      if (!closing) buf += '\n';
      continue;
    }
    if (name === 'td' || name === 'th') {
      buf += ' ';
      continue;
    }
    flush();
    heading = isHeading && !closing;
  }
  buf += cleaned.slice(last).replace(/\s+/g, ' ');
  flush();
  return blocks;
}

/** Plain text, blocks separated by blank lines. */
export function htmlToText(html: string): string {
  return htmlToBlocks(html)
    .map((b) => b.text)
    .join('\n\n');
}
