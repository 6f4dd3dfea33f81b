import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { loadConfig, ConfigError, type Config } from '../config';
import { createLogger } from '../logger';
import { openDb, DataDirLockedError } from '../store/db';
import { migrate } from '../store/migrate';
import { SecretBox, loadEncryptionKey } from '../store/crypto';
import { TenantRepo, createTenantInput, resolveZendeskUrl } from '../tenants/repo';
import { Inbox } from '../contacts/inbox';
import { ALL_QUEUES, type QueueName } from '../queues/contracts';
import { AppError } from '../errors';
import { RedisMissingError } from '../runtime/embedded-redis';
import { suggestCommand } from './suggest';
import { registerGapsCommand } from './gaps';
import { registerBillingCommands } from './billing';
import { registerDemoCommand } from './demo';

/** Thrown for a CLI usage problem: printed as one clear line, exit code 2. */
class UsageError extends Error {}

function config(): Config {
  return loadConfig(process.env);
}

async function withDb<T>(
  fn: (deps: { tenants: TenantRepo; inbox: Inbox; cfg: Config }) => Promise<T>,
): Promise<T> {
  const cfg = config();
  const db = await openDb({ databaseUrl: cfg.DATABASE_URL, dataDir: cfg.dataDir });
  try {
    await migrate(db);
    const box = new SecretBox(loadEncryptionKey(cfg.CONCIERGE_ENCRYPTION_KEY, cfg.dataDir));
    return await fn({ tenants: new TenantRepo(db, box), inbox: new Inbox(db), cfg });
  } finally {
    await db.close();
  }
}

const queueList = (value: string): QueueName[] => {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !(ALL_QUEUES as string[]).includes(n));
  if (bad.length || names.length === 0) {
    throw new InvalidArgumentError(
      `unknown queue(s) ${bad.join(', ') || '(none)'}; known: ${ALL_QUEUES.join(', ')}`,
    );
  }
  return names as QueueName[];
};

async function serve(opts: { api: boolean; queues: QueueName[] }) {
  const cfg = config();
  const logger = createLogger(cfg.LOG_LEVEL);
  // Loaded on demand: commands like `tenant create` need none of the runtime (BullMQ, AWS SDK, express).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous lazy load that tsx resolves
  const { run, stopOnSignals } = require('../runtime/service') as typeof import('../runtime/service');
  const running = await run(cfg, logger, opts);
  stopOnSignals(running, logger);
  logger.info(
    {
      url: running.url,
      queues: opts.queues,
      database: cfg.DATABASE_URL ? 'postgres' : 'pglite',
      redis: running.redis.url,
    },
    'concierge is running',
  );
}

export function buildProgram(): Command {
  const program = new Command('concierge')
    .description('Concierge: AI-first contact center for Zendesk on Amazon Connect')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('start')
    .description('API + all workers in one process (embedded defaults: PGlite, local or private Redis)')
    .action(() => serve({ api: true, queues: [...ALL_QUEUES] }));
  program
    .command('serve')
    .description('the HTTP API only')
    .action(() => serve({ api: true, queues: [] }));
  program
    .command('work')
    .description('workers only')
    .option(
      '--queues <names>',
      `comma-separated queues (default: all of ${ALL_QUEUES.join(', ')})`,
      queueList,
    )
    .action((o: { queues?: QueueName[] }) => serve({ api: false, queues: o.queues ?? [...ALL_QUEUES] }));
  program
    .command('migrate')
    .description('apply database migrations')
    .action(async () => {
      const cfg = config();
      const db = await openDb({ databaseUrl: cfg.DATABASE_URL, dataDir: cfg.dataDir });
      try {
        const applied = await migrate(db);
        process.stdout.write(`${JSON.stringify({ applied })}\n`);
      } finally {
        await db.close();
      }
    });

  const tenant = program.command('tenant').description('manage tenants (Zendesk accounts)');
  tenant
    .command('create')
    .description('create a tenant; prints {tenant, ingestKey, webhookSecret, appSecret} once')
    .requiredOption('--subdomain <s>', 'Zendesk subdomain (acme for acme.zendesk.com)')
    .option('--zendesk-url <url>', 'Zendesk base URL (default https://<subdomain>.zendesk.com)')
    .option('--zendesk-email <email>', 'agent email for API-token authentication')
    .option('--zendesk-api-token <token>', 'Zendesk API token (with --zendesk-email)')
    .option('--zendesk-oauth-token <token>', 'Zendesk OAuth access token')
    .option('--connect-instance-arn <arn>', 'Amazon Connect instance ARN')
    .option('--connect-url <url>', 'Connect admin website, https://<alias>.my.connect.aws (links in notes)')
    .option('--zendesk-rpm <n>', 'Zendesk requests per minute this tenant may use', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('a positive whole number');
      return n;
    })
    .action(async (o: Record<string, string | number | undefined>) => {
      const hasToken = o.zendeskApiToken !== undefined || o.zendeskEmail !== undefined;
      if (hasToken && o.zendeskOauthToken !== undefined) {
        throw new UsageError(
          'use either --zendesk-email with --zendesk-api-token, or --zendesk-oauth-token, not both',
        );
      }
      if (!hasToken && o.zendeskOauthToken === undefined) {
        throw new UsageError(
          'Zendesk credentials are required: --zendesk-email E --zendesk-api-token T, or --zendesk-oauth-token T',
        );
      }
      const parsed = createTenantInput.safeParse({
        subdomain: o.subdomain,
        zendeskUrl: o.zendeskUrl,
        credentials: hasToken
          ? { kind: 'api_token', email: o.zendeskEmail, token: o.zendeskApiToken }
          : { kind: 'oauth', token: o.zendeskOauthToken },
        connectInstanceArn: o.connectInstanceArn,
        connectUrl: o.connectUrl,
        zendeskRpm: o.zendeskRpm,
      });
      if (!parsed.success) {
        const flag: Record<string, string> = {
          subdomain: '--subdomain',
          zendeskUrl: '--zendesk-url',
          'credentials.email': '--zendesk-email',
          'credentials.token': hasToken ? '--zendesk-api-token' : '--zendesk-oauth-token',
          connectInstanceArn: '--connect-instance-arn',
          connectUrl: '--connect-url',
        };
        throw new UsageError(
          parsed.error.issues
            .map((i) => `${flag[i.path.join('.')] ?? i.path.join('.')}: ${i.message}`)
            .join('\n'),
        );
      }
      const cfg = config();
      // Refuse a non-Zendesk URL before touching the database.
      resolveZendeskUrl(parsed.data.subdomain, parsed.data.zendeskUrl, cfg.CONCIERGE_ALLOW_LOCAL_ZENDESK);
      const created = await withDb(({ tenants }) =>
        tenants.create(parsed.data, cfg.CONCIERGE_ALLOW_LOCAL_ZENDESK),
      );
      process.stdout.write(`${JSON.stringify(created, null, 2)}\n`);
    });
  tenant
    .command('list')
    .description('list tenants (no secrets)')
    .action(async () => {
      const list = await withDb(({ tenants }) => tenants.list());
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    });

  registerBillingCommands(program, tenant);

  program
    .command('events')
    .description('inspect the contact event inbox')
    .command('failed')
    .description('events that failed for good (a Zendesk 4xx, an unknown contact), with the reason')
    .requiredOption('--tenant <subdomain>', 'tenant')
    .option('--limit <n>', 'most rows', '100')
    .action(async (o: { tenant: string; limit: string }) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit <= 0) throw new UsageError('--limit: a positive whole number');
      const rows = await withDb(({ inbox }) => inbox.failed(o.tenant, limit));
      process.stdout.write(
        `${JSON.stringify(
          rows.map((r) => ({
            eventId: r.eventId,
            contactId: r.contactId,
            eventType: r.eventType,
            attempts: r.attempts,
            reason: r.lastError,
          })),
          null,
          2,
        )}\n`,
      );
    });
  registerGapsCommand(program);
  suggestCommand(program);
  registerDemoCommand(program);
  return program;
}

/** Turns every expected failure into one clear message on stderr and a non-zero exit. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    const known =
      err instanceof ConfigError ||
      err instanceof UsageError ||
      err instanceof DataDirLockedError ||
      err instanceof RedisMissingError ||
      err instanceof AppError;
    process.stderr.write(
      `concierge: ${known ? (err as Error).message : ((err as Error).stack ?? String(err))}\n`,
    );
    process.exitCode = err instanceof UsageError || err instanceof ConfigError ? 2 : 1;
  }
}
