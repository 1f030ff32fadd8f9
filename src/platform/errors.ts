/** Errors a service throws on purpose; the HTTP layer turns each into its status and a message a person can act on. */
export class AppError extends Error {
  /** Issue 17 §2: the same words for a victim's page, by catalog key (`server.*`), said in the victim's language. */
  victimMessage?: { key: string; values?: Record<string, string | number> };

  constructor(
    readonly statusCode: number,
    message: string,
    readonly fieldErrors: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** Marks a refusal a victim may read: a link-holder's page (/v/, /s/, /a/) gets the catalog's words in their language. */
  forVictim(key: string, values?: Record<string, string | number>): this {
    this.victimMessage = { key, ...(values ? { values } : {}) };
    return this;
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

/**
 * Refused for this person on this object (SEC-11 need to know), though their role allows the route: e.g. another
 * officer's consultation. Carries what the audit log needs, so a DPO can see someone probing (DP-01).
 */
export class AccessRefusedError extends ForbiddenError {
  constructor(
    message: string,
    readonly refusal: { subject: string; action: string; reason: string },
  ) {
    super(message);
  }
}
