import { Conflict, Forbidden, InvalidState, NotFound, type MessageParams } from '../errors.js';

/**
 * Intake's errors: the service's classes with stable codes whose messages live in the `intake`
 * namespace (templates/locales/<lang>/intake.json).
 */
const keyOf = (code: string) => `intake.errors.${code}`;

/** An application that does not exist or that the caller may not see: the same answer for both. */
export class ApplicationNotFound extends NotFound {
  constructor() {
    super('application_not_found');
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}

export class ApplicationConflict extends Conflict {
  constructor(code: 'application_already_registered' | 'application_already_rejected', params: MessageParams = {}) {
    super(code, params);
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}

export class ApplicationInvalidState extends InvalidState {
  constructor(code: 'application_not_draft' | 'application_not_submitted' | 'application_not_registered', params: MessageParams = {}) {
    super(code, params);
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}

/** A body's user acting for another organisation (the brief: 403, not 404: the caller named it). */
export class OtherOrganization extends Forbidden {
  constructor() {
    super('application_other_organization');
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}
