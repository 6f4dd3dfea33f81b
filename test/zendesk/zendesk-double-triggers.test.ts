import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { triggerPayload } from '../../server/billing/setup';
import { verifyZendeskSignature } from '../../server/billing/signature';
import { webhookPayloadSchema } from '../../server/billing/types';
import { createZendeskClient } from '../../server/zendesk/client';
import type { RequestOptions, TriggerWrite, ZendeskApi } from '../../server/zendesk/types';
import { startZendeskDouble, type ZendeskDouble } from '../../doubles/zendesk-double';

/** What a webhook endpoint received. */
interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

let double: ZendeskDouble;
let zd: ZendeskApi;
let receiver: http.Server;
let endpoint: string;
const received: Received[] = [];
const O: RequestOptions = { priority: 'deferrable' };

// The conditions of server/billing/setup.ts's triggers (Zendesk's conditions reference).
const CONDITIONS: Record<'solved' | 'reopened' | 'end_user_comment', TriggerWrite['conditions']> = {
  solved: { all: [{ field: 'status', operator: 'value', value: 'solved' }], any: [] },
  reopened: {
    all: [
      { field: 'status', operator: 'value_previous', value: 'solved' },
      { field: 'status', operator: 'less_than', value: 'solved' },
    ],
    any: [],
  },
  end_user_comment: {
    all: [
      { field: 'update_type', operator: 'is', value: 'Change' },
      { field: 'comment_is_public', operator: 'is', value: 'true' },
      { field: 'role', operator: 'is', value: 'end_user' },
    ],
    any: [],
  },
};

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  double = await startZendeskDouble({ fireTriggers: true, firstTicketId: 500 });
  zd = createZendeskClient({
    tenantId: 't1',
    baseUrl: double.url,
    credentials: { kind: 'api_token', email: 'bot@acme.test', token: 'tok' },
    logger: pino({ level: 'silent' }),
  });
  const hook = await zd.createWebhook(
    {
      name: 'Concierge resolutions',
      endpoint,
      http_method: 'POST',
      request_format: 'json',
      status: 'active',
      subscriptions: ['conditional_ticket_events'],
      authentication: { type: 'bearer_token', data: { token: 'hook-bearer' }, add_position: 'header' },
    },
    O,
  );
  for (const [event, conditions] of Object.entries(CONDITIONS)) {
    await zd.createTrigger(
      {
        title: `Concierge: ${event}`,
        active: true,
        conditions,
        actions: [
          {
            field: 'notification_webhook',
            value: [hook.id, triggerPayload(event as keyof typeof CONDITIONS)],
          },
        ],
      },
      O,
    );
  }
});
afterAll(async () => {
  await double.close();
  await new Promise((r) => receiver.close(r));
});
afterEach(() => {
  expect(double.specViolations).toEqual([]);
});

const events = async () => {
  await double.settled();
  return received.splice(0).map((r) => ({
    payload: webhookPayloadSchema.parse(JSON.parse(r.body)),
    headers: r.headers,
    body: r.body,
  }));
};

describe('Zendesk double triggers', () => {
  it('when a ticket is solved through the API, then the solved trigger calls its webhook with the bearer token and a valid signature', async () => {
    const { ticketId } = await zd.createTicket(
      { subject: 'Where is my order?', comment: { body: 'Hi', public: true } },
      O,
    );
    expect(ticketId).toBe(500);
    expect(await events()).toEqual([]); // created open: nothing fires
    await zd.updateTicket(ticketId, { status: 'solved' }, O);
    const [solved, ...rest] = await events();
    expect(rest).toEqual([]);
    expect(solved!.payload).toMatchObject({ event: 'solved', ticket_id: ticketId, actor_id: 1 });
    expect(solved!.headers.authorization).toBe('Bearer hook-bearer');
    const hook = [...double.webhooks.values()][0]!;
    expect(
      verifyZendeskSignature({
        secret: hook.signingSecret,
        signature: solved!.headers['x-zendesk-webhook-signature'] as string,
        timestamp: solved!.headers['x-zendesk-webhook-signature-timestamp'] as string,
        rawBody: Buffer.from(solved!.body),
      }),
    ).toBeNull();
    expect(double.webhookDeliveries.at(-1)).toMatchObject({ ticketId, status: 200 });

    // Solving it again changes nothing (the status did not change to solved).
    await zd.updateTicket(ticketId, { comment: { body: 'note', public: false }, status: 'solved' }, O);
    expect(await events()).toEqual([]);
  });

  it('when people act in the UI, then a reopen and an end-user comment fire their triggers and an agent comment fires none', async () => {
    const { ticketId } = await zd.createTicket(
      { subject: 'Refund', comment: { body: 'Hi', public: true } },
      O,
    );
    const requester = double.addUser({ name: 'Dana', email: 'dana@example.com' });
    const agent = double.addUser({ name: 'Alex', email: 'alex@example.com', role: 'agent' });
    double.updateTicket(ticketId, {
      authorId: agent.id,
      status: 'solved',
      comment: { body: 'Done', public: true },
    });
    expect((await events()).map((e) => e.payload.event)).toEqual(['solved']);

    double.updateTicket(ticketId, {
      authorId: requester.id,
      status: 'open',
      comment: { body: 'It did not arrive', public: true },
    });
    const got = await events();
    expect(got.map((e) => e.payload.event).sort()).toEqual(['end_user_comment', 'reopened']);
    expect(got.every((e) => e.payload.actor_id === requester.id && e.payload.ticket_id === ticketId)).toBe(
      true,
    );

    double.updateTicket(ticketId, { authorId: agent.id, comment: { body: 'Checking', public: true } });
    expect(await events()).toEqual([]);
  });

  it('when the webhook is moved through the API (setup-webhooks after the service URL changed), then the next trigger calls the new endpoint', async () => {
    const hook = [...double.webhooks.values()][0]!;
    const moved = `${endpoint}?moved=1`;
    const authentication = {
      type: 'bearer_token' as const,
      data: { token: 'hook-bearer' },
      add_position: 'header' as const,
    };
    await zd.updateWebhook(hook.id, { endpoint: moved, authentication }, O);
    expect(double.webhooks.get(hook.id)!.endpoint).toBe(moved);
    const { ticketId } = await zd.createTicket(
      { subject: 'Moved', comment: { body: 'Hi', public: true } },
      O,
    );
    await zd.updateTicket(ticketId, { status: 'solved' }, O);
    expect((await events()).map((e) => e.payload.event)).toEqual(['solved']);
    expect(double.webhookDeliveries.at(-1)).toMatchObject({ ticketId, status: 200 });
    await zd.updateWebhook(hook.id, { endpoint, authentication }, O);
  });

  it('when a snapshot is restored into a new double, then tickets, users and triggers come back and new ids continue', async () => {
    const copy = await startZendeskDouble({ restore: double.snapshot() });
    try {
      expect([...copy.tickets.keys()]).toEqual([...double.tickets.keys()]);
      expect(copy.triggers.size).toBe(3);
      expect(copy.users.size).toBe(double.users.size);
      const next = copy.addUser({ name: 'New' });
      expect(next.id).toBe(Math.max(...double.users.keys()) + 1);
    } finally {
      await copy.close();
    }
  });
});
