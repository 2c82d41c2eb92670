import { InvalidInput, NotFound, type AppError, type MessageParams } from '../errors.js';

/**
 * The calendar's own errors: the service's classes (InvalidInput 400, NotFound 404) with stable
 * `calendar_*` codes whose messages live in the calendar namespace (templates/locales/<lang>/calendar.json).
 */
const keyOf = (code: string) => `calendar.errors.${code.replace(/^calendar_/, '')}`;

export class CalendarInvalid extends InvalidInput {
  constructor(code: 'calendar_date_invalid' | 'calendar_out_of_range' | 'calendar_count_invalid', params: MessageParams = {}, fields?: AppError['fields']) {
    super(code, params, fields);
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}

export class OverrideNotFound extends NotFound {
  constructor(date: string) {
    super('calendar_override_not_found', { date });
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}
