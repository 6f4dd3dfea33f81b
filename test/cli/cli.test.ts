import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ensureRedis, RedisMissingError } from '../../server/runtime/embedded-redis';
import { redisUrl, tmpDir } from '../helpers/env';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/concierge');
const FIXTURE = path.resolve(
  ROOT,
  '../shared/fixtures/connect/scv_eventbridge_contact-event_disconnected.json',
);
const ARN = 'arn:aws:connect:us-west-2:352672060859:instance/f75946c0-bc38-4252-8174-468f6ac2543d';

/** The environment of a machine with no Concierge configuration at all. */
function bareEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn' };
  return { ...env, ...extra };
}

function cli(args: string[], cwd: string, env = bareEnv()) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8', timeout: 170_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

/** Starts `concierge start` on an OS-assigned port (PORT=0: no race for a free port) and reads its URL from the log. */
function startService(
  cwd: string,
  extra: Record<string, string> = {},
): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(process.execPath, [BIN, 'start'], {
    cwd,
    env: bareEnv({ ...extra, PORT: '0', LOG_LEVEL: 'info' }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = new Promise<string>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(buffer);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`service exited with ${code} before listening`)));
  });
  return { child, url };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (c) => resolve(c)),
  );

// Each command starts a process (and PGlite, a few seconds on a busy 2-core machine).
jest.setTimeout(180_000);

describe('concierge command line', () => {
  test('when a tenant is created, then its key is accepted by the running service and a wrong key is refused', async () => {
    const cwd = tmpDir();
    const created = cli(
      [
        'tenant',
        'create',
        '--subdomain',
        'acme',
        '--zendesk-email',
        'ops@acme.test',
        '--zendesk-api-token',
        'tok',
        '--connect-instance-arn',
        ARN,
      ],
      cwd,
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const out = JSON.parse(created.stdout) as Record<string, string>;
    expect(Object.keys(out).sort()).toEqual(['appSecret', 'ingestKey', 'tenant', 'webhookSecret']);
    expect(out.tenant).toBe('acme');

    const { child, url: listening } = startService(cwd, {
      REDIS_URL: redisUrl(),
      CONCIERGE_QUEUE_PREFIX: `cli${Date.now()}`,
    });
    try {
      const url = await listening;
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      const post = (key: string) =>
        fetch(`${url}/v1/connect/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: fs.readFileSync(FIXTURE),
        });
      expect((await post(out.ingestKey!)).status).toBe(202);
      expect((await post('cik_not-a-key')).status).toBe(401);
      const locked = cli(['tenant', 'create', '--subdomain', 'other', '--zendesk-oauth-token', 't'], cwd);
      expect(locked.code).not.toBe(0);
      expect(locked.stderr).toMatch(/in use by process \d+/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited(child)).toBe(0);
  });

  test('when npm start runs with no configuration at all, then /healthz answers and SIGTERM stops it cleanly', async () => {
    const cwd = tmpDir();
    // PORT=0 (an OS-assigned port) is the only setting, so nothing can clash with another service.
    const { child, url: listening } = startService(cwd);
    try {
      const url = await listening;
      const res = await fetch(`${url}/healthz`);
      expect(await res.json()).toEqual({ status: 'ok' });
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect(fs.existsSync(path.join(cwd, '.data/encryption.key'))).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited(child)).toBe(0);
  });

  test('when configuration is bad, then start-up stops with a message naming each variable', () => {
    const r = cli(
      ['start'],
      tmpDir(),
      bareEnv({ PORT: 'x', REDIS_URL: 'http://nope', CONCIERGE_ENCRYPTION_KEY: 'abc' }),
    );
    expect(r.code).toBe(2);
    for (const name of ['PORT', 'REDIS_URL', 'CONCIERGE_ENCRYPTION_KEY']) expect(r.stderr).toContain(name);
  });

  test('when arguments are wrong, then the message says what is wrong', () => {
    const cwd = tmpDir();
    const r1 = cli(['tenant', 'create', '--subdomain', 'acme'], cwd);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/credentials are required/);
    const r2 = cli(
      [
        'tenant',
        'create',
        '--subdomain',
        'acme',
        '--zendesk-oauth-token',
        't',
        '--connect-instance-arn',
        'arn:nope',
      ],
      cwd,
    );
    expect(r2.stderr).toMatch(/--connect-instance-arn: an Amazon Connect instance ARN/);
    const r3 = cli(['work', '--queues', 'nope'], cwd);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/unknown queue/);
    const r4 = cli(
      [
        'tenant',
        'create',
        '--subdomain',
        'acme',
        '--zendesk-oauth-token',
        't',
        '--zendesk-url',
        'http://127.0.0.1:9',
      ],
      cwd,
    );
    expect(r4.stderr).toMatch(/CONCIERGE_ALLOW_LOCAL_ZENDESK/);
  });

  test('when nothing has failed, then `events failed` prints an empty JSON list', () => {
    const cwd = tmpDir();
    expect(cli(['tenant', 'create', '--subdomain', 'acme', '--zendesk-oauth-token', 't'], cwd).code).toBe(0);
    const empty = cli(['events', 'failed', '--tenant', 'acme'], cwd);
    expect(JSON.parse(empty.stdout)).toEqual([]);
  });
});

describe('embedded Redis', () => {
  test('when nothing answers and redis-server is on PATH, then a private one is started under the data folder', async () => {
    const dir = tmpDir();
    const unused = `redis://127.0.0.1:${await freePort()}`;
    const handle = await ensureRedis(undefined, dir, unused);
    try {
      expect(handle.child).toBeDefined();
      expect(handle.url).not.toBe(unused);
      expect(fs.existsSync(path.join(dir, 'redis'))).toBe(true);
    } finally {
      await handle.stop();
    }
    expect(handle.child!.exitCode !== null || handle.child!.signalCode !== null).toBe(true);
  });

  test('when nothing answers and there is no redis-server, then the error says how to install Redis', async () => {
    const unused = `redis://127.0.0.1:${await freePort()}`;
    await expect(
      ensureRedis(undefined, tmpDir(), unused, 'redis-server-that-does-not-exist'),
    ).rejects.toThrow(RedisMissingError);
    await expect(
      ensureRedis(undefined, tmpDir(), unused, 'redis-server-that-does-not-exist'),
    ).rejects.toThrow(/apt-get install redis-server/);
  });
});
