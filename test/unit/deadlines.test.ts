import { describe, expect, it } from 'vitest';
import type { WorkingCalendar } from '../../server/calendar/types.js';
import { deadlineStatus, dueDate } from '../../server/deadlines/engine.js';
import { CURRENT_EDITION, EDITIONS, RULE_KEYS, ruleOf } from '../../server/deadlines/rules.js';

/** A working-day calendar built in the test from its days off (the official 2025–2026 ones near the cases). */
function testCalendar(daysOff: string[], workingWeekends: string[] = []): WorkingCalendar {
  const off = new Set(daysOff);
  const on = new Set(workingWeekends);
  const next = (d: string, step: number) => {
    const t = new Date(d + 'T00:00:00Z');
    t.setUTCDate(t.getUTCDate() + step);
    return t.toISOString().slice(0, 10);
  };
  const isWorkingDay = (d: string) => {
    if (on.has(d)) return true;
    const wd = new Date(d + 'T00:00:00Z').getUTCDay();
    return wd !== 0 && wd !== 6 && !off.has(d);
  };
  return {
    isWorkingDay,
    addWorkingDays(date, n) {
      let d = date;
      if (n === 0) {
        while (!isWorkingDay(d)) d = next(d, 1);
        return d;
      }
      for (let left = n; left > 0; ) {
        d = next(d, 1);
        if (isWorkingDay(d)) left--;
      }
      return d;
    },
    workingDaysBetween(a, b) {
      const sign = b < a ? -1 : 1;
      const [from, to] = b < a ? [b, a] : [a, b];
      let count = 0;
      for (let d = next(from, 1); d <= to; d = next(d, 1)) if (isWorkingDay(d)) count++;
      return sign * count;
    },
  };
}

const cal = testCalendar(
  ['2025-12-16', '2026-01-01', '2026-01-02', '2026-01-07', '2026-03-09', '2026-03-23', '2026-03-24', '2026-03-25', '2026-05-01', '2026-05-07', '2026-05-11'],
);

describe('deadline rules table', () => {
  it('holds every deadline of the 2022 edition with its clause, working days and what starts it', () => {
    const rows = RULE_KEYS.map((k) => {
      const r = ruleOf(k);
      return [k, r.clause, r.workingDays, r.startsOn, r.party];
    });
    expect(rows).toEqual([
      ['application', 'p.7', 10, 'commissioning', 'government_body'],
      ['repository', 'p.8', 3, 'registration', 'operator'],
      ['acceptance', 'p.9', 3, 'repository_formed', 'operator'],
      ['decommission_notice', 'p.11', 10, 'withdrawal', 'government_body'],
      ['return', 'p.11', 3, 'decommission_notice', 'operator'],
    ]);
    expect(CURRENT_EDITION.title).toMatch(/146\/НҚ.*347\/НҚ/);
    expect(EDITIONS[CURRENT_EDITION.id]).toBe(CURRENT_EDITION);
    expect(() => ruleOf('repository', 'no-such-edition')).toThrow(/unknown edition/);
  });
});

describe('due dates (working days of Kazakhstan)', () => {
  it('p.8: registered Thursday 2026-03-19 → repository due Friday 2026-03-27 (Nauryz 21–25 March off)', () => {
    expect(dueDate(cal, ruleOf('repository'), '2026-03-19')).toBe('2026-03-27');
  });
  it('p.8: registered 2026-05-06 → due 2026-05-13 (7, 9–11 May off)', () => {
    expect(dueDate(cal, ruleOf('repository'), '2026-05-06')).toBe('2026-05-13');
  });
  it('p.7: commissioned 2025-12-29 → application due 2026-01-15 (10 working days across the New Year)', () => {
    expect(dueDate(cal, ruleOf('application'), '2025-12-29')).toBe('2026-01-15');
  });
  it('refuses a start that is not a date', () => {
    expect(() => dueDate(cal, ruleOf('repository'), '19.03.2026')).toThrow(/YYYY-MM-DD/);
  });
});

describe('deadline states', () => {
  const open = { dueDate: '2026-03-27', metOn: null };
  it('is pending while more than one working day is left', () => {
    expect(deadlineStatus(cal, open, '2026-03-19')).toEqual({ state: 'pending', workingDaysLeft: 3, workingDaysLate: null });
    // Over Nauryz only two working days (26, 27) are left from the 20th.
    expect(deadlineStatus(cal, open, '2026-03-20')).toMatchObject({ state: 'pending', workingDaysLeft: 2 });
  });
  it('is due soon with one working day or less left, including on the due date', () => {
    expect(deadlineStatus(cal, open, '2026-03-26')).toMatchObject({ state: 'due_soon', workingDaysLeft: 1 });
    expect(deadlineStatus(cal, open, '2026-03-27')).toMatchObject({ state: 'due_soon', workingDaysLeft: 0 });
    // A weekend before a Monday due date leaves one working day.
    expect(deadlineStatus(cal, { dueDate: '2026-04-06', metOn: null }, '2026-04-04')).toMatchObject({ state: 'due_soon', workingDaysLeft: 1 });
  });
  it('is overdue the day after the due date, counting working days late (at least one)', () => {
    expect(deadlineStatus(cal, open, '2026-03-28')).toEqual({ state: 'overdue', workingDaysLeft: null, workingDaysLate: 1 });
    expect(deadlineStatus(cal, open, '2026-04-01')).toEqual({ state: 'overdue', workingDaysLeft: null, workingDaysLate: 3 });
  });
  it('is met when met on or before the due date, whatever today is', () => {
    expect(deadlineStatus(cal, { dueDate: '2026-03-27', metOn: '2026-03-27' }, '2027-01-01').state).toBe('met');
    expect(deadlineStatus(cal, { dueDate: '2026-03-27', metOn: '2026-03-20' }, '2026-03-20').state).toBe('met');
  });
  it('is met late with the working days late when met after the due date', () => {
    expect(deadlineStatus(cal, { dueDate: '2026-03-27', metOn: '2026-03-31' }, '2026-04-10')).toEqual({ state: 'met_late', workingDaysLeft: null, workingDaysLate: 2 });
    expect(deadlineStatus(cal, { dueDate: '2026-03-20', metOn: '2026-03-26' }, '2026-04-10')).toMatchObject({ state: 'met_late', workingDaysLate: 1 });
  });
});
