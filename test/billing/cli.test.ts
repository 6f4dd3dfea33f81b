import { spawn } from 'node:child_process';
import path from 'node:path';
import { startZendeskDouble, type ZendeskDouble } from '../../doubles/zendesk-double';
import { tmpDir } from '../helpers/env';

const BIN = path.resolve(__dirname, '../../bin/concierge');

// Each command starts a process with PGlite: seconds each on a busy 2-core machine.
jest.setTimeout(240_000);

/** Runs the CLI without blocking this process (the Zendesk double answers from here). */
function cli(args: string[], cwd: string, env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('concierge tenant setup-webhooks and billing commands', () => {
  let zendesk: ZendeskDouble;
  beforeAll(async () => {
    zendesk = await startZendeskDouble();
  });
  afterAll(() => zendesk.close());

  test('when setup-webhooks runs twice with the printed webhookSecret, then the webhook and triggers exist once and the secret is the one printed', async () => {
    const cwd = tmpDir();
    const env = { CONCIERGE_ALLOW_LOCAL_ZENDESK: '1', CONCIERGE_PUBLIC_URL: 'https://concierge.example' };
    const created = await cli(
      [
        'tenant',
        'create',
        '--subdomain',
        'acme',
        '--zendesk-url',
        zendesk.url,
        '--zendesk-oauth-token',
        'tok',
      ],
      cwd,
      env,
    );
    expect(created.code).toBe(0);
    const { webhookSecret } = JSON.parse(created.stdout) as { webhookSecret: string };

    const first = await cli(
      ['tenant', 'setup-webhooks', '--tenant', 'acme', '--webhook-secret', webhookSecret],
      cwd,
      env,
    );
    expect(first.stderr).toBe('');
    expect(JSON.parse(first.stdout)).toMatchObject({
      tenant: 'acme',
      endpoint: 'https://concierge.example/v1/zendesk/webhooks/acme',
      webhookCreated: true,
      webhookSecretRotated: false,
      triggers: [{ created: true }, { created: true }, { created: true }],
    });
    const second = await cli(['tenant', 'setup-webhooks', '--tenant', 'acme'], cwd, env);
    expect(JSON.parse(second.stdout)).toMatchObject({
      webhookCreated: false,
      webhookUpdated: false,
      triggers: [{ created: false }, { created: false }, { created: false }],
    });
    expect(zendesk.webhooks.size).toBe(1);
    expect(zendesk.triggers.size).toBe(3);
    const hook = [...zendesk.webhooks.values()][0]!;
    expect((hook.authentication as { data: { token: string } }).data.token).toBe(webhookSecret);
    expect(zendesk.specViolations).toEqual([]);
    expect(first.stdout + second.stdout).not.toContain(webhookSecret);

    const configured = await cli(
      [
        'billing',
        'configure',
        '--tenant',
        'acme',
        '--window-hours',
        '48',
        '--aws-customer-account-id',
        '123456789012',
        '--aws-product-code',
        'prod1',
      ],
      cwd,
      env,
    );
    expect(JSON.parse(configured.stdout)).toMatchObject({
      windowHours: 48,
      awsCustomerAccountId: '123456789012',
      awsProductCode: 'prod1',
      botUserIds: [1],
    });
    const report = await cli(
      ['billing', 'report', '--tenant', 'acme', '--month', '2024-02', '--format', 'csv'],
      cwd,
      env,
    );
    const lines = report.stdout.trim().split(/\r?\n/);
    expect(lines[0]).toBe('date,automated,ai_assisted,human,billable,credited,net');
    expect(lines).toHaveLength(1 + 29 + 1);
  });

  test('when the public URL is still the local default, then setup-webhooks refuses with a clear message', async () => {
    const cwd = tmpDir();
    await cli(['tenant', 'create', '--subdomain', 'beta', '--zendesk-oauth-token', 'tok'], cwd);
    const r = await cli(['tenant', 'setup-webhooks', '--tenant', 'beta'], cwd);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CONCIERGE_PUBLIC_URL must be the https URL Zendesk can reach/);
  });
});
