import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors';

/**
 * For the machine-to-machine intake routes that skip express' body parsers (webhooks, Connect events):
 * the raw request body, and the limit in bytes from a size like "1mb".
 */

/** The request body as sent, at most `limit` bytes (more is a 413, without reading the rest). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new AppError('payload_too_large', `Body larger than ${limit} bytes`, 413, undefined);
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
    req.once('error', reject);
  });
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };

/** "512kb" → 524288; the config schema only lets `<digits>(b|kb|mb)` through. */
export function byteLimit(size: string): number {
  const m = /^(\d+)(b|kb|mb)$/i.exec(size);
  if (!m) throw new RangeError(`not a size: ${size}`);
  return Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
}
