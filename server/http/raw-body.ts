import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../errors';

/**
 * For the machine-to-machine intake routes that skip express' body parsers (webhooks, Connect events):
 * the raw request body, and the limit in bytes from a size like "1mb".
 */

/**
 * The request body as sent, at most `limit` bytes. More is a 413 without reading the rest: the caller
 * answers it with `Connection: close` (see closeAfter), since the unread rest would otherwise be taken for
 * the next request on the connection. A compressed body is a 415 (nothing we call sends one); a client
 * that goes away mid-body is a 400.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new AppError('payload_too_large', `Body larger than ${limit} bytes`, 413, undefined);
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity')
    return Promise.reject(
      new AppError(
        'unsupported_media_type',
        `Content-Encoding ${encoding} is not accepted; send the body as is`,
        415,
      ),
    );
  if (Number(req.headers['content-length']) > limit) return Promise.reject(tooLarge());
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      req.pause();
      reject(tooLarge());
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once('error', (err) =>
      reject(
        new AppError('request_aborted', 'The request body was not fully received', 400, undefined, {
          cause: err,
        }),
      ),
    );
  });
}

/** A refusal that left part of the body unread closes the connection after its answer. */
export function closeAfter(err: unknown, res: ServerResponse): void {
  if (err instanceof AppError && err.status === 413 && !res.headersSent) res.setHeader('connection', 'close');
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };

/** "512kb" → 524288; the config schema only lets `<digits>(b|kb|mb)` through. */
export function byteLimit(size: string): number {
  const m = /^(\d+)(b|kb|mb)$/i.exec(size);
  if (!m) throw new RangeError(`not a size: ${size}`);
  return Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
}
