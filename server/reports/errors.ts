import { Conflict, InvalidInput, InvalidState, NotFound, type AppError, type MessageParams } from '../errors.js';

/** Errors of the half-yearly report: the service's classes with stable `report_*` codes, messages in `reports.errors`. */
const keyOf = (code: string) => `reports.errors.${code.replace(/^report_/, '')}`;

export class ReportInvalid extends InvalidInput {
  constructor(
    code: 'report_period_invalid' | 'report_period_future' | 'report_date_invalid' | 'report_range_reversed' | 'report_range_too_long' | 'report_format_invalid' | 'report_period_not_ended',
    params: MessageParams = {},
    fields?: AppError['fields'],
  ) {
    super(code, params, fields);
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}

export class ReportNotFound extends NotFound {
  constructor(params: MessageParams = {}) {
    super('report_not_found', params);
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}

export class ReportConflict extends Conflict {
  constructor(code: 'report_already_sent' | 'report_superseded', params: MessageParams = {}) {
    super(code, params);
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}

export class ReportInvalidState extends InvalidState {
  constructor(code: 'report_no_recipients', params: MessageParams = {}) {
    super(code, params);
  }
  override get messageKey(): string {
    return keyOf(this.code);
  }
}
