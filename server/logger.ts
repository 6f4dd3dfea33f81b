import pino, { type Logger } from 'pino';

/** Paths that must never reach a log line: credentials, tokens, transcripts, personal data. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-zendesk-webhook-signature"]',
  'headers.authorization',
  'authorization',
  '*.authorization',
  'password',
  '*.password',
  'token',
  '*.token',
  '*.apiToken',
  '*.oauthToken',
  '*.ingestKey',
  '*.webhookSecret',
  '*.appSecret',
  '*.secret',
  'transcript',
  '*.transcript',
  '*.phone',
  '*.email',
];

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service: 'concierge' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

export type { Logger };
