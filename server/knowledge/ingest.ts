import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { isProblem, parseTicketLine, type InputProblem, type TicketDoc, type TicketOptions } from './tickets';

export interface ReadStats {
  lines: number;
  tickets: number;
  malformed: number;
  blank: number;
  /** Tickets whose id was seen before on an earlier line (the later line wins nothing: first kept). */
  duplicates: number;
  bytes: number;
}

export interface ReadOptions extends TicketOptions {
  /** Called for every unusable line; reading goes on. */
  onProblem?: (p: InputProblem) => void;
  /** Called every few thousand lines with the bytes read so far. */
  onProgress?: (bytes: number, lines: number) => void;
  stats?: ReadStats;
}

export const emptyReadStats = (): ReadStats => ({
  lines: 0,
  tickets: 0,
  malformed: 0,
  blank: 0,
  duplicates: 0,
  bytes: 0,
});

/**
 * Tickets from NDJSON, one at a time: the raw line is dropped as soon as its question is extracted.
 * Malformed lines are reported with their line number and skipped; duplicate ticket ids (an export
 * that was resumed twice) are kept once.
 */
export async function* readTicketsNdjson(input: Readable, opts: ReadOptions = {}): AsyncGenerator<TicketDoc> {
  const stats = opts.stats ?? emptyReadStats();
  const seen = new Set<number>();
  for await (const line of lines(input, stats)) {
    stats.lines++;
    if (opts.onProgress && (stats.lines & 2047) === 0) opts.onProgress(stats.bytes, stats.lines);
    const parsed = parseTicketLine(line, stats.lines, opts);
    if (parsed === null) {
      stats.blank++;
      continue;
    }
    if (isProblem(parsed)) {
      stats.malformed++;
      opts.onProblem?.(parsed);
      continue;
    }
    if (seen.has(parsed.id)) {
      stats.duplicates++;
      continue;
    }
    seen.add(parsed.id);
    stats.tickets++;
    yield parsed;
  }
  opts.onProgress?.(stats.bytes, stats.lines);
}

/**
 * Lines of a byte stream (LF or CRLF), decoded as UTF-8 across chunk boundaries. Does what readline
 * does for files, at about half its cost; a line is never longer than needed in memory.
 */
async function* lines(input: Readable, stats: ReadStats): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    stats.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    const text = rest + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      yield text.charCodeAt(nl - 1) === 13 ? text.slice(start, nl - 1) : text.slice(start, nl);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  rest += decoder.end();
  if (rest) yield rest;
}
