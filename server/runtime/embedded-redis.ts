import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';

export interface RedisHandle {
  url: string;
  /** Set when we started a private redis-server; stop() ends it. */
  child?: ChildProcess;
  stop(): Promise<void>;
}

export class RedisMissingError extends Error {
  constructor() {
    super(
      'No Redis answers on 127.0.0.1:6379 and there is no redis-server on PATH to start a private one.\n' +
        'Install Redis (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) ' +
        'or set REDIS_URL=redis://host:6379.',
    );
    this.name = 'RedisMissingError';
  }
}

async function answers(url: string, timeoutMs = 800): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function onPath(bin: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$0"', bin], { stdio: 'ignore' }).status === 0;
}

/**
 * REDIS_URL when set; else the Redis on 127.0.0.1:6379 when one answers; else a private redis-server
 * started from PATH with its files under <dataDir>/redis (AOF on, noeviction, as BullMQ wants).
 */
export async function ensureRedis(
  redisUrl: string | undefined,
  dataDir: string,
  local = 'redis://127.0.0.1:6379',
  redisServer = 'redis-server',
): Promise<RedisHandle> {
  if (redisUrl) return { url: redisUrl, stop: async () => undefined };
  if (await answers(local)) return { url: local, stop: async () => undefined };
  if (!onPath(redisServer)) throw new RedisMissingError();
  return startPrivateRedis(dataDir);
}

export async function startPrivateRedis(dataDir: string): Promise<RedisHandle> {
  const dir = path.resolve(dataDir, 'redis');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (!(await answers(url, 300))) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('redis-server did not start within 10 s');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
