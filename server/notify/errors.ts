import { NotFound } from '../errors.js';

/** A notification that does not exist or is another user's: the same answer for both. */
export class NotificationNotFound extends NotFound {
  constructor() {
    super('notification_not_found');
  }
  override get messageKey(): string {
    return 'notify.errors.notification_not_found';
  }
}
