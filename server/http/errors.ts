import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import { RateLimitedError } from '../zendesk/types';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

/** One place that turns anything thrown into `{ error: { code, message, details? } }`. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (res.headersSent) return;
    if (err instanceof AppError) {
      res.status(err.status).json({
        error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
      });
      if (err.status >= 500) logger.warn({ err, reqId: req.id }, err.message);
      return;
    }
    if (err instanceof RateLimitedError) {
      // The tenant's Zendesk budget is spent for the moment: the caller may retry, nothing is broken.
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))));
      res.status(503).json({
        error: { code: 'zendesk_busy', message: 'Zendesk request budget exhausted; retry shortly' },
      });
      return;
    }
    const bp = err as BodyParserError;
    if (bp?.type === 'entity.too.large') {
      res
        .status(413)
        .json({ error: { code: 'payload_too_large', message: `Body larger than ${bp.limit} bytes` } });
      return;
    }
    if (bp?.type === 'entity.parse.failed') {
      res
        .status(400)
        .json({ error: { code: 'invalid_json', message: `Body is not valid JSON: ${bp.message}` } });
      return;
    }
    if (bp?.type && bp.status && bp.status < 500) {
      res.status(bp.status).json({ error: { code: bp.type.replace(/\W/g, '_'), message: bp.message } });
      return;
    }
    logger.error({ err, reqId: req.id }, 'unhandled error');
    res.status(500).json({ error: { code: 'internal', message: 'Internal error' } });
  };
}

export const notFound: RequestHandler = (req, res) => {
  res.status(404).json({ error: { code: 'not_found', message: `No route for ${req.method} ${req.path}` } });
};
