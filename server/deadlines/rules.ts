/**
 * Every deadline the Rules set, in one table (regulation.md: "a new edition is a new table, not a hunt
 * through services"). A stored deadline records the edition it was computed under, so a new edition
 * changes what is computed from then on and never rewrites a deadline already fixed.
 *
 * The edition in force for this service: the Rules for accounting and storage of developed software,
 * source codes and the configuration complex of licensed software of "e-government" informatization
 * objects, order No. 146/НҚ of 29.06.2019 as worded by order No. 347/НҚ of 27.09.2022.
 */

/** What starts a deadline's clock: an event of the system's lifecycle. */
export type ClockStart =
  | 'commissioning' // commissioning into industrial operation, or registration on the architecture portal
  | 'registration' // the application entered in the register (Annex 2)
  | 'repository_formed'
  | 'withdrawal' // the system withdrawn from operation
  | 'decommission_notice'; // the body's notice of the withdrawal received by the operator

/** Who must act before the deadline. */
export type Party = 'government_body' | 'operator';

export const RULE_KEYS = ['application', 'repository', 'acceptance', 'decommission_notice', 'return'] as const;
export type RuleKey = (typeof RULE_KEYS)[number];

export interface DeadlineRule {
  key: RuleKey;
  /** The clause of the edition, as quoted in comments and on screens: `p.8`. */
  clause: string;
  /** Working days of Kazakhstan (calendar/), counted from the day after the start. */
  workingDays: number;
  startsOn: ClockStart;
  party: Party;
}

export interface Edition {
  id: string;
  /** The order and its wording, as cited. */
  title: string;
  rules: Readonly<Record<RuleKey, DeadlineRule>>;
}

const rule = (key: RuleKey, clause: string, workingDays: number, startsOn: ClockStart, party: Party): DeadlineRule =>
  Object.freeze({ key, clause, workingDays, startsOn, party });

/** Order No. 146/НҚ of 29.06.2019 as worded by order No. 347/НҚ of 27.09.2022. */
export const EDITION_2022: Edition = Object.freeze({
  id: '146-NK/347-NK-2022',
  title: 'Order No. 146/НҚ of 29.06.2019 as worded by order No. 347/НҚ of 27.09.2022',
  rules: Object.freeze({
    // Rules p.7: the body sends the application ≤ 10 working days after commissioning into industrial
    // operation or registration on the architecture portal.
    application: rule('application', 'p.7', 10, 'commissioning', 'government_body'),
    // Rules p.8: the operator forms the repository ≤ 3 working days after registering the application.
    repository: rule('repository', 'p.8', 3, 'registration', 'operator'),
    // Rules p.9: the operator accepts the deposit ≤ 3 working days after the repository is formed.
    acceptance: rule('acceptance', 'p.9', 3, 'repository_formed', 'operator'),
    // Rules p.11: the body notifies the operator ≤ 10 working days after withdrawing the system.
    decommission_notice: rule('decommission_notice', 'p.11', 10, 'withdrawal', 'government_body'),
    // Rules p.11: the operator hands the deposit back ≤ 3 working days after the notice.
    return: rule('return', 'p.11', 3, 'decommission_notice', 'operator'),
  }),
});

/** Every edition the service knows, by id: stored deadlines name one of these. */
export const EDITIONS: Readonly<Record<string, Edition>> = Object.freeze({ [EDITION_2022.id]: EDITION_2022 });

/** The edition new deadlines are computed under. */
export const CURRENT_EDITION: Edition = EDITION_2022;

export function isRuleKey(value: unknown): value is RuleKey {
  return typeof value === 'string' && (RULE_KEYS as readonly string[]).includes(value);
}

/** The rule `key` of edition `editionId` (the current edition when not given). */
export function ruleOf(key: RuleKey, editionId: string = CURRENT_EDITION.id): DeadlineRule {
  const edition = EDITIONS[editionId];
  if (!edition) throw new Error(`unknown edition of the Rules: ${editionId}`);
  return edition.rules[key];
}
