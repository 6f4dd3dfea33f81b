import { Writable } from 'node:stream';
import pino from 'pino';
import { REDACT_PATHS } from '../../server/logger';

describe('logs', () => {
  test('when a request with credentials or personal data is logged, then none of it reaches the output', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const log = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    log.info({
      req: {
        headers: {
          authorization: 'Bearer cik_secret',
          cookie: 'sid=1',
          'x-zendesk-webhook-signature': 'c2ln',
        },
      },
      tenant: { ingestKey: 'cik_other', apiToken: 'zd-token', phone: '+14155550000', email: 'a@b.co' },
      transcript: 'my card is 4111',
    });
    const out = lines.join('');
    for (const secret of [
      'cik_secret',
      'sid=1',
      'c2ln',
      'cik_other',
      'zd-token',
      '+14155550000',
      'a@b.co',
      '4111',
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('[redacted]');
  });
});
