import { Conflict, InvalidState, NotFound, type MessageParams } from '../errors.js';

/**
 * The system record's errors: the service's classes with stable codes whose messages live in the
 * `systems` namespace (templates/locales/<lang>/systems.json).
 */
const keyOf = (code: string) => `systems.errors.${code}`;

/** A system that does not exist or that the caller may not see: the same answer for both. */
export class SystemNotFound extends NotFound {
  constructor() {
    super('system_not_found');
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}

export class SystemConflict extends Conflict {
  constructor(code: 'system_code_taken', params: MessageParams = {}) {
    super(code, params);
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}

export class SystemInvalidState extends InvalidState {
  constructor(code: 'system_withdrawn', params: MessageParams = {}) {
    super(code, params);
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}
