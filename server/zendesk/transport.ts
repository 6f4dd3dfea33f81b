import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';

/**
 * node-zendesk's transport over node:http(s) with keep-alive agents, instead of its default (global
 * fetch). In Node 20, fetch (undici, web streams) costs several times the CPU of a plain request per
 * exchange, and the sync worker makes one or two Zendesk requests per contact event. Redirects are not
 * followed (credentials never travel to wherever a redirect points): a 3xx is returned as it is.
 * Answers are asked for gzipped (exports and comment pages are large) and inflated here.
 */

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export interface RawRequest {
  method: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

/** Node's system errors carry `code` (ECONNRESET, ECONNREFUSED, …); a timeout is named TimeoutError. */
export class TransportTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** An answer no Zendesk API sends: asking again gets the same, so it is not worth a retry. */
export class ResponseTooLargeError extends Error {
  override readonly name = 'ResponseTooLargeError';
}

/**
 * Idle sockets are closed after 4 s (or the server's Keep-Alive hint when shorter), before a server or
 * proxy is likely to close them under a request: a request sent on a socket the other end is closing
 * fails with ECONNRESET.
 */
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64, timeout: 4_000 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64, timeout: 4_000 }),
};

/** Larger answers than any Zendesk API page (100 records with comments): a runaway, not data. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * One exchange. A reset on a kept-alive socket the server was closing surfaces as a network error (code
 * ECONNRESET), which callers treat as retriable; the idle timeout above makes it rare.
 */
export function sendHttp(uri: string, init: RawRequest, timeoutMs: number): Promise<RawResponse> {
  const url = new URL(uri);
  const agent =
    url.protocol === 'https:' ? agents['https:'] : url.protocol === 'http:' ? agents['http:'] : null;
  if (!agent) return Promise.reject(new Error(`unsupported protocol ${url.protocol}`));
  const body = init.body === undefined ? undefined : Buffer.from(init.body);
  const headers: Record<string, string | number> = { 'accept-encoding': 'gzip, deflate', ...init.headers };
  if (body) headers['content-length'] = body.length;
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise<RawResponse>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
    };
    const req = send(url, { method: init.method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          const err = new ResponseTooLargeError(`Zendesk answer larger than ${MAX_RESPONSE_BYTES} bytes`);
          req.destroy(err);
          fail(err);
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        if (settled) return;
        let text: string;
        try {
          text = decode(Buffer.concat(chunks, size), res.headers['content-encoding']).toString('utf8');
        } catch (err) {
          const tooLarge = (err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE';
          fail(
            tooLarge
              ? new ResponseTooLargeError(`Zendesk answer inflates to more than ${MAX_RESPONSE_BYTES} bytes`)
              : (err as Error),
          );
          return;
        }
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
      });
      res.on('error', fail);
      res.on('aborted', () => fail(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
    });
    // Headers and body included: a server that answers slowly byte by byte still ends within the budget.
    const timer = setTimeout(() => {
      const err = new TransportTimeoutError(`no complete answer within ${timeoutMs} ms`);
      req.destroy(err);
      fail(err);
    }, timeoutMs);
    req.on('error', fail);
    req.end(body);
  });
}

/** The body as sent, whatever Content-Encoding we asked for was applied (at most MAX_RESPONSE_BYTES). */
function decode(raw: Buffer, encoding: string | undefined): Buffer {
  const e = (encoding ?? 'identity').trim().toLowerCase();
  const limit = { maxOutputLength: MAX_RESPONSE_BYTES };
  if (e === 'gzip' || e === 'x-gzip') return zlib.gunzipSync(raw, limit);
  if (e === 'deflate') return zlib.inflateSync(raw, limit);
  if (e === 'identity' || e === '') return raw;
  throw new Error(`Zendesk answered with an unsupported Content-Encoding: ${e}`);
}

/** The first value of a response header, as fetch's Headers.get would give it. */
export function headerValue(headers: http.IncomingHttpHeaders, name: string): string | null {
  const v = headers[name.toLowerCase()];
  if (v === undefined) return null;
  return Array.isArray(v) ? v.join(', ') : v;
}
