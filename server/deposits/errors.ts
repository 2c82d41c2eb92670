import { Conflict, InvalidState, NotFound, type MessageParams } from '../errors.js';

/** Errors of deposits: the service's classes with stable codes, messages in the `deposits` namespace. */
const keyOf = (code: string) => `deposits.errors.${code}`;

export class DepositNotFound extends NotFound {
  constructor(code: 'ref_not_found' | 'deposit_not_found', params: MessageParams = {}) {
    super(code, params);
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}

export class DepositConflict extends Conflict {
  constructor(code: 'deposit_already_accepted' | 'deposit_busy', params: MessageParams = {}) {
    super(code, params);
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}

export class DepositInvalidState extends InvalidState {
  constructor(code: 'deposit_has_errors' | 'deposit_not_acceptable', params: MessageParams = {}) {
    super(code, params);
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}
