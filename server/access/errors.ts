import { Conflict, InvalidInput, InvalidState, NotFound, type MessageParams } from '../errors.js';

/**
 * Access's errors: the service's classes with stable codes whose messages live in the `access`
 * namespace (templates/locales/<lang>/access.json).
 */
const keyOf = (code: string) => `access.errors.${code}`;

/** A grant or request that does not exist, or that the caller may not see: the same answer. */
export class AccessNotFound extends NotFound {
  constructor(code: 'grant_not_found' | 'request_not_found' | 'system_not_in_catalogue') {
    super(code);
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}

export class AccessConflict extends Conflict {
  constructor(code: 'grant_exists' | 'grant_already_revoked' | 'request_exists' | 'request_decided', params: MessageParams = {}) {
    super(code, params);
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}

export class AccessInvalidState extends InvalidState {
  constructor(code: 'system_without_repository', params: MessageParams = {}) {
    super(code, params);
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}

/** A bad value of one field, with its message in the access namespace. */
export function accessFieldError(field: string, code: string, params: MessageParams = {}): InvalidInput {
  return new InvalidInput('validation_failed', {}, { [field]: { key: keyOf(code), params } });
}
