import path from 'node:path';
import { z } from 'zod';
import { aiConfigShape } from './ai/index';

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const url = (protocols: string[]) =>
  z
    .string()
    .url()
    .refine((v) => protocols.some((p) => v.startsWith(`${p}:`)), {
      message: `must start with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    });

/** Every environment variable the service reads. README's configuration table mirrors this schema. */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: url(['postgres', 'postgresql']).optional(),
  // The service URL as the Zendesk app calls it: the audience of the app's signed requests.
  CONCIERGE_PUBLIC_URL: url(['http', 'https']).optional(),
  REDIS_URL: url(['redis', 'rediss']).optional(),
  CONCIERGE_DATA_DIR: z.string().min(1).default('.data'),
  CONCIERGE_ENCRYPTION_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)')
    .optional(),
  CONCIERGE_ALLOW_LOCAL_ZENDESK: bool.default(false),
  CONCIERGE_QUEUE_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9_-]+$/)
    .default('concierge'),
  CONCIERGE_BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'like 1mb or 512kb')
    .default('1mb'),
  CONCIERGE_SWEEP_INTERVAL_MS: z.coerce.number().int().min(1000).default(30_000),
  CONCIERGE_SWEEP_AFTER_MS: z.coerce.number().int().min(1000).default(60_000),
  CONCIERGE_RECONCILE_EVERY_MS: z.coerce.number().int().min(10_000).default(300_000),
  // How long a worker may hold a job (and its conversation) before another may take over after a crash.
  CONCIERGE_JOB_LOCK_MS: z.coerce.number().int().min(1000).default(30_000),
  CONCIERGE_DB_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(20),
  CONCIERGE_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(20),
  CONCIERGE_HELP_CENTER_SYNC_EVERY_MS: z.coerce.number().int().min(10_000).default(900_000),
  CONCIERGE_ZENDESK_RPM: z.coerce.number().int().min(1).default(400),
  // The global OAuth client (zdg-…) the install flow sends admins through; both or neither.
  CONCIERGE_ZENDESK_OAUTH_CLIENT_ID: z
    .string()
    .regex(/^[\w.-]{1,100}$/, 'an OAuth client identifier')
    .optional(),
  CONCIERGE_ZENDESK_OAUTH_CLIENT_SECRET: z.string().min(16, 'at least 16 characters').optional(),
  CONCIERGE_ZENDESK_OAUTH_SCOPES: z
    .string()
    .regex(/^[\w:]+( [\w:]+)*$/, 'space-separated scopes, e.g. "read write"')
    .default('read write'),
  // Days between an uninstall (or a revoked token) and the deletion of the tenant's data.
  CONCIERGE_TENANT_GRACE_DAYS: z.coerce.number().min(0).max(365).default(30),
  // Bearer token for /admin/* (the queue dashboard); unset = those routes do not exist (404).
  CONCIERGE_ADMIN_TOKEN: z.string().min(24, 'at least 24 characters (openssl rand -base64 32)').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ...aiConfigShape,
});

export type Config = z.infer<typeof configSchema> & { dataDir: string; publicUrl: string };

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Treat empty strings as unset so `FOO=` in an env file means "use the default".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  if (!parsed.data.CONCIERGE_ZENDESK_OAUTH_CLIENT_ID !== !parsed.data.CONCIERGE_ZENDESK_OAUTH_CLIENT_SECRET) {
    throw new ConfigError([
      'CONCIERGE_ZENDESK_OAUTH_CLIENT_ID and CONCIERGE_ZENDESK_OAUTH_CLIENT_SECRET: set both or neither',
    ]);
  }
  return {
    ...parsed.data,
    dataDir: path.resolve(parsed.data.CONCIERGE_DATA_DIR),
    publicUrl: (parsed.data.CONCIERGE_PUBLIC_URL ?? `http://localhost:${parsed.data.PORT}`).replace(
      /\/+$/,
      '',
    ),
  };
}
