import { z } from 'zod';
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { AiProvider } from './types';
import { LocalProvider, type LocalProviderOptions } from './local';
import { BedrockProvider, DEFAULT_EMBED_MODEL_ID } from './bedrock';
import { AiConfigError } from './errors';

export type * from './types';
export { AiConfigError, AiModelError, AiThrottledError } from './errors';
export { LocalProvider } from './local';
export { BedrockProvider } from './bedrock';
export { redact, Redactor } from './redact';

/**
 * The configuration names the AI providers read. server/config.ts can merge this schema into its
 * own (`configSchema.extend(aiConfigShape)`) so that a bad value stops the process at start-up.
 */
export const aiConfigShape = {
  AI_PROVIDER: z.enum(['local', 'bedrock']).optional(),
  AWS_REGION: z.string().min(1).optional(),
  BEDROCK_REPLY_MODEL_ID: z.string().min(1).optional(),
  BEDROCK_EMBED_MODEL_ID: z.string().min(1).default(DEFAULT_EMBED_MODEL_ID),
  BEDROCK_SENTIMENT_MODEL_ID: z.string().min(1).optional(),
  BEDROCK_EMBED_DIMENSIONS: z.coerce
    .number()
    .int()
    .refine((n) => n === 256 || n === 512 || n === 1024, 'must be 256, 512 or 1024')
    .optional(),
};

export type AiConfig = {
  AI_PROVIDER?: 'local' | 'bedrock';
  AWS_REGION?: string;
  BEDROCK_REPLY_MODEL_ID?: string;
  BEDROCK_EMBED_MODEL_ID?: string;
  BEDROCK_SENTIMENT_MODEL_ID?: string;
  BEDROCK_EMBED_DIMENSIONS?: number;
};

export interface CreateProviderOptions {
  /** A ready Bedrock client (tests). */
  bedrockClient?: BedrockRuntimeClient;
  /** SDK retry attempts for Bedrock; the SDK's default (3, or AWS_MAX_ATTEMPTS) when absent. */
  maxAttempts?: number;
  local?: LocalProviderOptions;
}

/**
 * `bedrock` when AI_PROVIDER=bedrock (which then needs BEDROCK_REPLY_MODEL_ID), else `local`: no
 * AWS call is ever made unless the operator asked for Bedrock by name.
 */
export function createProvider(config: AiConfig, opts: CreateProviderOptions = {}): AiProvider {
  if (config.AI_PROVIDER !== 'bedrock') return new LocalProvider(opts.local);
  if (!config.BEDROCK_REPLY_MODEL_ID) {
    throw new AiConfigError(
      'AI_PROVIDER=bedrock needs BEDROCK_REPLY_MODEL_ID (a Bedrock model or inference profile id for replies)',
    );
  }
  return new BedrockProvider({
    replyModelId: config.BEDROCK_REPLY_MODEL_ID,
    ...(config.BEDROCK_EMBED_MODEL_ID ? { embedModelId: config.BEDROCK_EMBED_MODEL_ID } : {}),
    ...(config.BEDROCK_SENTIMENT_MODEL_ID ? { sentimentModelId: config.BEDROCK_SENTIMENT_MODEL_ID } : {}),
    ...(config.BEDROCK_EMBED_DIMENSIONS ? { dimensions: config.BEDROCK_EMBED_DIMENSIONS } : {}),
    ...(opts.bedrockClient ? { client: opts.bedrockClient } : {}),
    clientConfig: {
      ...(config.AWS_REGION ? { region: config.AWS_REGION } : {}),
      ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
    },
  });
}
