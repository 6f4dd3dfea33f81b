import http from 'node:http';
import https from 'node:https';

/**
 * node-zendesk's transport over node:http(s) with keep-alive agents, instead of its default (global
 * fetch). In Node 20, fetch (undici, web streams) costs several times the CPU of a plain request per
 * exchange, and the sync worker makes one or two Zendesk requests per contact event. Redirects are not
 * followed (credentials never travel to wherever a redirect points): a 3xx is returned as it is.
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

/** Node's system errors carry `code` (ECONNREFUSED, ECONNRESET, …); a timeout is named TimeoutError. */
export class TransportTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

/** Larger answers than any Zendesk API page (100 records with comments): a runaway, not data. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export function sendHttp(uri: string, init: RawRequest, timeoutMs: number): Promise<RawResponse> {
  const url = new URL(uri);
  const agent =
    url.protocol === 'https:' ? agents['https:'] : url.protocol === 'http:' ? agents['http:'] : null;
  if (!agent) return Promise.reject(new Error(`unsupported protocol ${url.protocol}`));
  const body = init.body === undefined ? undefined : Buffer.from(init.body);
  const headers: Record<string, string | number> = { ...init.headers };
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
          req.destroy(new Error(`Zendesk answer larger than ${MAX_RESPONSE_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks, size).toString('utf8'),
        });
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

/** The first value of a response header, as fetch's Headers.get would give it. */
export function headerValue(headers: http.IncomingHttpHeaders, name: string): string | null {
  const v = headers[name.toLowerCase()];
  if (v === undefined) return null;
  return Array.isArray(v) ? v.join(', ') : v;
}
