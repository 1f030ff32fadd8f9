/** Errors a service throws on purpose; the HTTP layer turns each into its status and a message a person can act on. */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly fieldErrors: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super(404, message);
  }
}

/** A request that is well-formed but not allowed in the current state (e.g. an illegal transition). */
export class ConflictError extends AppError {
  constructor(message: string, fieldErrors: Record<string, string> = {}) {
    super(409, message, fieldErrors);
  }
}

export class ValidationError extends AppError {
  constructor(message: string, fieldErrors: Record<string, string> = {}) {
    super(400, message, fieldErrors);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(403, message);
  }
}
