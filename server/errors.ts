/**
 * The few error classes of the service (style.md §3). Each carries a stable snake_case `code`, an
 * HTTP status and a message key in templates/locales/<lang>/errors.json; one middleware renders them.
 */
export type MessageParams = Record<string, string | number>;

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly params: MessageParams = {},
    /** Per-field message keys for validation errors: `{"owner.bin": "errors.fields.bin_invalid"}`. */
    readonly fields?: Record<string, { key: string; params?: MessageParams }>,
  ) {
    super(code);
    this.name = new.target.name;
  }
  get messageKey(): string {
    return `errors.${this.code}`;
  }
}

export class InvalidInput extends AppError {
  constructor(code = 'invalid_input', params: MessageParams = {}, fields?: AppError['fields']) {
    super(400, code, params, fields);
  }
}
export class Unauthenticated extends AppError {
  constructor(code = 'unauthenticated', params: MessageParams = {}) {
    super(401, code, params);
  }
}
export class Forbidden extends AppError {
  constructor(code = 'forbidden', params: MessageParams = {}) {
    super(403, code, params);
  }
}
/** Also what a caller gets for a resource it may not see: denied looks exactly like missing. */
export class NotFound extends AppError {
  constructor(code = 'not_found', params: MessageParams = {}) {
    super(404, code, params);
  }
}
export class Conflict extends AppError {
  constructor(code = 'conflict', params: MessageParams = {}) {
    super(409, code, params);
  }
}
export class InvalidState extends AppError {
  constructor(code = 'invalid_state', params: MessageParams = {}) {
    super(409, code, params);
  }
}
export class TooLarge extends AppError {
  constructor(code = 'too_large', params: MessageParams = {}) {
    super(413, code, params);
  }
}
export class TooManyRequests extends AppError {
  constructor(code = 'too_many_requests', params: MessageParams = {}) {
    super(429, code, params);
  }
}
/** The disk is full: nothing was stored (507, RFC 4918). */
export class InsufficientStorage extends AppError {
  constructor(code = 'insufficient_storage', params: MessageParams = {}) {
    super(507, code, params);
  }
}
/** Well-formed but wrong content: a hash or size that does not match (Git LFS uses 422). */
export class Unprocessable extends AppError {
  constructor(code = 'unprocessable', params: MessageParams = {}) {
    super(422, code, params);
  }
}
