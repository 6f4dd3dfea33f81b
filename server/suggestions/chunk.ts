import { htmlToBlocks } from '../ai/html';
import { sentences } from '../ai/text';

export interface TextChunk {
  /** The heading of the section the chunk starts in, if any. */
  heading?: string;
  text: string;
}

const countWords = (s: string) => (s.match(/\S+/g) ?? []).length;

/**
 * Article HTML → chunks of roughly `min`..`max` words that follow the article's own structure:
 * paragraphs and list blocks are merged until a chunk is big enough, a heading starts a new chunk
 * once the current one is, and a block longer than `max` is cut at sentence boundaries.
 */
export function chunkArticle(html: string, min = 80, max = 200): TextChunk[] {
  const chunks: TextChunk[] = [];
  let heading: string | undefined;
  let parts: string[] = [];
  let size = 0;
  let chunkHeading: string | undefined;
  const flush = () => {
    if (parts.length)
      chunks.push({ ...(chunkHeading ? { heading: chunkHeading } : {}), text: parts.join('\n') });
    parts = [];
    size = 0;
    chunkHeading = undefined;
  };
  const add = (text: string, n: number) => {
    if (size > 0 && size + n > max) flush();
    if (parts.length === 0) chunkHeading = heading;
    parts.push(text);
    size += n;
  };
  for (const block of htmlToBlocks(html)) {
    if (block.kind === 'heading') {
      if (size >= min) flush();
      heading = block.text;
      if (size > 0) add(block.text, countWords(block.text));
      continue;
    }
    const n = countWords(block.text);
    if (n <= max) {
      add(block.text, n);
      continue;
    }
    // A long block: sentence by sentence, so no chunk ends mid-sentence.
    for (const s of sentences(block.text)) {
      const n = countWords(s);
      if (n <= max) {
        add(s, n);
        continue;
      }
      // A "sentence" longer than a chunk (a table flattened, no punctuation): cut by words.
      const ws = s.split(/\s+/);
      for (let i = 0; i < ws.length; i += max)
        add(ws.slice(i, i + max).join(' '), Math.min(max, ws.length - i));
    }
  }
  flush();
  // A short tail joins the chunk before it rather than standing alone.
  const last = chunks[chunks.length - 1];
  const prev = chunks[chunks.length - 2];
  if (
    last &&
    prev &&
    countWords(last.text) < min / 2 &&
    countWords(prev.text) + countWords(last.text) <= max * 1.25
  ) {
    prev.text += `\n${last.heading && last.heading !== prev.heading ? `${last.heading}\n` : ''}${last.text}`;
    chunks.pop();
  }
  return chunks;
}
