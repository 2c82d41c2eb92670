import { Conflict, InvalidInput, InvalidState, NotFound, type MessageParams } from '../errors.js';

/**
 * The errors of decommissioning and returns: the service's classes with stable codes whose messages
 * live in the `returns` namespace (templates/locales/<lang>/returns.json).
 */
const keyOf = (code: string) => `returns.errors.${code}`;

/** No package to download (not built yet, or purged): the same answer as for a system one may not see. */
export class ReturnNotFound extends NotFound {
  constructor(code: 'package_not_found' | 'return_not_found', params: MessageParams = {}) {
    super(code, params);
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}

export class ReturnConflict extends Conflict {
  constructor(code: 'already_notified' | 'already_returned' | 'return_in_progress' | 'already_archived' | 'already_purged' | 'zip_pending', params: MessageParams = {}) {
    super(code, params);
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}

export class ReturnInvalidState extends InvalidState {
  constructor(code: 'nothing_accepted' | 'not_notified' | 'not_returned' | 'not_archived', params: MessageParams = {}) {
    super(code, params);
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}

/** A bad value of one field, with its message in the returns namespace. */
export function returnsFieldError(field: string, code: string, params: MessageParams = {}): InvalidInput {
  return new InvalidInput('validation_failed', {}, { [field]: { key: keyOf(`fields.${code}`), params } });
}
