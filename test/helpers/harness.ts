import { ConnectClient } from '@aws-sdk/client-connect';
import { loadConfig } from '../../server/config';
import { createLogger } from '../../server/logger';
import { createConnectClient } from '../../server/connect/client';
import { run, type Running } from '../../server/runtime/service';
import { QUEUES, type QueueName } from '../../server/queues/contracts';
import type { CreatedTenant } from '../../server/tenants/repo';
import { startZendeskDouble, type ZendeskDouble } from '../../doubles/zendesk-double';
import { startConnectDouble, type ConnectDouble } from '../../doubles/connect-double';
import { dropPrefix, mainBackend, queuePrefix, redisUrl, sharedPglite, tmpDir } from './env';
import { randomUUID } from 'node:crypto';

export interface Harness {
  running: Running;
  url: string;
  zendesk: ZendeskDouble;
  connect: ConnectDouble;
  tenant: CreatedTenant;
  prefix: string;
  post(body: unknown, key?: string): Promise<{ status: number; body: unknown }>;
  /** Polls until fn returns true (or throws after timeoutMs). */
  until(fn: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  queues?: QueueName[];
  env?: Record<string, string>;
  backend?: 'pglite' | 'pg';
}

/** The whole service in-process (API + workers) against the Zendesk and Connect doubles. */
export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const zendesk = await startZendeskDouble();
  const connect = await startConnectDouble();
  const prefix = queuePrefix();
  const backend = opts.backend ?? mainBackend();
  const config = loadConfig({
    REDIS_URL: redisUrl(),
    ...(backend === 'pg' ? { DATABASE_URL: process.env.TEST_DATABASE_URL } : {}),
    CONCIERGE_DATA_DIR: tmpDir(),
    CONCIERGE_QUEUE_PREFIX: prefix,
    CONCIERGE_ALLOW_LOCAL_ZENDESK: '1',
    CONCIERGE_SWEEP_INTERVAL_MS: '1000',
    CONCIERGE_SWEEP_AFTER_MS: '1500',
    CONCIERGE_PUBLIC_URL: 'https://concierge.test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...opts.env,
  });
  const logger = createLogger(config.LOG_LEVEL);
  const connectApi = createConnectClient({
    clientFor: (region) =>
      new ConnectClient({
        region,
        endpoint: connect.url,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      }),
  });
  const schema = `h_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  const running = await run(config, logger, {
    api: true,
    // Reconciliation would race the scripted events; tests that want it ask for it.
    queues: opts.queues ?? [QUEUES.contactSync],
    port: 0,
    overrides: { connect: connectApi, schema, ...(backend === 'pglite' ? { pglite: sharedPglite() } : {}) },
  });
  const tenant = await running.ctx.tenants.create(
    {
      subdomain: `t${randomUUID().slice(0, 8)}`,
      zendeskUrl: zendesk.url,
      credentials: { kind: 'api_token', email: 'ops@example.com', token: 'zd-token' },
      connectInstanceArn: connect.instanceArn,
    },
    true,
  );
  connect.putUser({ userId: 'agent-1', username: 'alice@example.com', email: 'alice@example.com' });
  connect.putUser({ userId: 'agent-2', username: 'bob@example.com', email: 'bob@example.com' });
  zendesk.addUser({ name: 'Alice Agent', email: 'alice@example.com', role: 'agent' });
  zendesk.addUser({ name: 'Bob Agent', email: 'bob@example.com', role: 'agent' });

  const url = running.url!;
  return {
    running,
    url,
    zendesk,
    connect,
    tenant,
    prefix,
    async post(body, key = tenant.ingestKey) {
      const res = await fetch(`${url}/v1/connect/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json().catch(() => null) };
    },
    async until(fn, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await fn())) {
        if (Date.now() > deadline) throw new Error('condition not met in time');
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (backend === 'pg')
        await running.ctx.db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await running.stop();
      await zendesk.close();
      await connect.close();
      connectApi.destroy();
      await dropPrefix(prefix);
    },
  };
}
