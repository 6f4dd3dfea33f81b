/** Errors are thrown, not returned; the HTTP edge maps them to `{ error: { code, message, details? } }`. */
export class AppError extends Error {
  constructor(
    public readonly code: string,
    message: string,
    public readonly status = 500,
    public readonly details?: unknown[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class BadRequestError extends AppError {
  constructor(message: string, details?: unknown[], code = 'bad_request') {
    super(code, message, 400, details);
  }
}
export class UnauthorizedError extends AppError {
  constructor(message = 'Missing or invalid credentials', code = 'unauthorized') {
    super(code, message, 401);
  }
}
export class ForbiddenError extends AppError {
  constructor(message = 'Not allowed', code = 'forbidden') {
    super(code, message, 403);
  }
}
export class NotFoundError extends AppError {
  constructor(message = 'Not found', code = 'not_found') {
    super(code, message, 404);
  }
}
export class ConflictError extends AppError {
  constructor(message: string, code = 'conflict') {
    super(code, message, 409);
  }
}
export class UnavailableError extends AppError {
  constructor(message: string, code = 'unavailable', options?: { cause?: unknown }) {
    super(code, message, 503, undefined, options);
  }
}
