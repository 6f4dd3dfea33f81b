import express from 'express';
import request from 'supertest';
import { errorHandler } from '../../server/http/errors';
import { createLogger } from '../../server/logger';
import { RateLimitedError } from '../../server/zendesk/types';

describe('HTTP error mapping', () => {
  const app = express();
  app.get('/busy', () => {
    throw new RateLimitedError(1500);
  });
  app.get('/boom', () => {
    throw new Error('secret detail');
  });
  app.use(errorHandler(createLogger('silent')));

  test('when the tenant’s Zendesk budget is spent, then 503 with Retry-After in whole seconds, not a 500', async () => {
    const res = await request(app).get('/busy');
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.body).toEqual({
      error: { code: 'zendesk_busy', message: 'Zendesk request budget exhausted; retry shortly' },
    });
  });

  test('when anything else is thrown, then a 500 that does not leak the message', async () => {
    const res = await request(app).get('/boom');
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toContain('secret detail');
  });
});
