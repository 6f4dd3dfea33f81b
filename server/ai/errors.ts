import { AppError } from '../errors';

/** The model provider asked us to slow down; try again after `retryAfterMs`. */
export class AiThrottledError extends AppError {
  constructor(
    message: string,
    public readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super('ai_throttled', message, 503, undefined, options);
  }
}

/**
 * The model could not answer: a model error, a timeout, a bad request, an unknown or unavailable
 * model, missing access. `retryable` says whether the same request may succeed later.
 */
export class AiModelError extends AppError {
  constructor(
    message: string,
    public readonly awsCode: string,
    public readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super('ai_model_error', message, retryable ? 503 : 502, undefined, options);
  }
}

export class AiConfigError extends AppError {
  constructor(message: string) {
    super('ai_config', message, 500);
  }
}
