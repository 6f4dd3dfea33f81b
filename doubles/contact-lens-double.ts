/**
 * An in-process stand-in for the two Contact Lens real-time list APIs (restJson1), so the real SDK
 * clients (signing, serialisation, retries) are exercised. Point the SDK at it with
 * AWS_ENDPOINT_URL_CONNECT_CONTACT_LENS=<url> (voice) and AWS_ENDPOINT_URL_CONNECT=<url> (chat).
 *
 *   POST /realtime-contact-analysis/analysis-segments                          (voice, V1)
 *   POST /contact/list-real-time-analysis-segments-v2/{InstanceId}/{ContactId}  (chat, V2)
 *
 * A test releases segments for a contact as the "conversation" goes on; each call returns what was
 * released after the caller's NextToken and a new NextToken, until `end()` (then no NextToken).
 * Unknown contacts answer 404 ResourceNotFoundException, as for a contact Contact Lens never analysed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LensRequest {
  api: 'v1' | 'v2' | 'unknown';
  instanceId?: string;
  contactId?: string;
  body: Record<string, unknown>;
  signed: boolean;
  at: number;
}

export interface ContactLensDouble {
  url: string;
  /** Makes a contact known (analysis started) and appends segments (AWS wire shapes) to it. */
  release(contactId: string, segments: Record<string, unknown>[]): void;
  /** The analysis session is over: the next answer carries no NextToken. */
  end(contactId: string): void;
  /** The next n requests fail with this status / error type. */
  failNext(status: number, errorType: string, times?: number): void;
  requests: LensRequest[];
  count(contactId?: string): number;
  close(): Promise<void>;
}

export async function startContactLensDouble(): Promise<ContactLensDouble> {
  const contacts = new Map<string, { segments: Record<string, unknown>[]; ended: boolean }>();
  const requests: LensRequest[] = [];
  let failure: { status: number; errorType: string; left: number } | undefined;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://double').pathname;
      let body: Record<string, unknown> = {};
      try {
        body = chunks.length
          ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>)
          : {};
      } catch {
        // reported as a 400 below
      }
      const v2 = /^\/contact\/list-real-time-analysis-segments-v2\/([^/]+)\/([^/]+)$/.exec(path);
      const api = path === '/realtime-contact-analysis/analysis-segments' ? 'v1' : v2 ? 'v2' : 'unknown';
      const instanceId = v2 ? decodeURIComponent(v2[1]!) : (body.InstanceId as string | undefined);
      const contactId = v2 ? decodeURIComponent(v2[2]!) : (body.ContactId as string | undefined);
      requests.push({
        api,
        ...(instanceId ? { instanceId } : {}),
        ...(contactId ? { contactId } : {}),
        body,
        signed: /^AWS4-HMAC-SHA256 Credential=/.test(req.headers.authorization ?? ''),
        at: Date.now(),
      });
      const send = (status: number, payload: unknown, errorType?: string) => {
        res.writeHead(status, {
          'content-type': 'application/json',
          ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
        });
        res.end(JSON.stringify(payload));
      };
      if (failure && failure.left > 0) {
        failure.left -= 1;
        return send(failure.status, { Message: 'injected failure' }, failure.errorType);
      }
      if (api === 'unknown') return send(404, { Message: 'unknown operation' }, 'UnknownOperationException');
      if (!instanceId || !contactId)
        return send(400, { Message: 'InstanceId and ContactId are required' }, 'InvalidRequestException');
      if (api === 'v2' && (body.OutputType === undefined || !Array.isArray(body.SegmentTypes)))
        return send(400, { Message: 'OutputType and SegmentTypes are required' }, 'InvalidRequestException');
      const c = contacts.get(contactId);
      if (!c) return send(404, { Message: `Contact not found: ${contactId}` }, 'ResourceNotFoundException');
      const from =
        typeof body.NextToken === 'string' ? Number(Buffer.from(body.NextToken, 'base64url').toString()) : 0;
      const max = typeof body.MaxResults === 'number' ? body.MaxResults : 100;
      const page = c.segments.slice(from, from + max);
      const next = from + page.length;
      const more = next < c.segments.length || !c.ended;
      send(200, {
        ...(api === 'v2' ? { Channel: 'CHAT', Status: c.ended ? 'COMPLETED' : 'IN_PROGRESS' } : {}),
        Segments: page,
        ...(more ? { NextToken: Buffer.from(String(next)).toString('base64url') } : {}),
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    release(contactId, segments) {
      const c = contacts.get(contactId) ?? { segments: [], ended: false };
      c.segments.push(...segments);
      contacts.set(contactId, c);
    },
    end(contactId) {
      const c = contacts.get(contactId) ?? { segments: [], ended: false };
      c.ended = true;
      contacts.set(contactId, c);
    },
    failNext(status, errorType, times = 1) {
      failure = { status, errorType, left: times };
    },
    requests,
    count: (contactId) =>
      contactId ? requests.filter((r) => r.contactId === contactId).length : requests.length,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
