import { describe, expect, it } from 'vitest';
import { dropEmpty, formFromFields, parseForm } from '../../server/intake/form.js';
import { formatDate, formatTime, registerCsv, type RegisterRow } from '../../server/intake/read.js';
import { ApplicationDraft, applicationFormSchema } from '../../server/intake/schemas.js';
import { addMonths } from '../../server/systems/service.js';
import { InvalidInput } from '../../server/errors.js';

describe('the HTML form as the API object', () => {
  it('nests dotted names, makes arrays of numbered parts, drops blank item rows, keeps repeated checkboxes', () => {
    const input = formFromFields({
      _csrf: 'token',
      action: 'submit',
      'owner.email': 'a@b.kz',
      'items.0.name': 'CD 1',
      'items.0.original': 'original',
      'items.1.name': ' ',
      'items.1.original': 'copy',
      'items.2.sizeMb': '10',
      'items.2.original': 'copy',
      funding: 'grants',
    });
    expect(input).toEqual({
      owner: { email: 'a@b.kz' },
      items: [
        { name: 'CD 1', original: 'original' },
        { sizeMb: '10', original: 'copy' },
      ],
      funding: ['grants'],
    });
  });

  it('ignores names that could reach Object.prototype or are not field paths', () => {
    const input = formFromFields({ '__proto__.polluted': 'yes', 'constructor.prototype.polluted': 'yes', 'a.b.c.d.e.f': 'deep', 'items.99999.name': 'x', 'owner.email.x': 'y', 'owner.email': 'z' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(input).toEqual({ owner: { email: 'z' } });
  });

  it('treats blank text as not given at every level', () => {
    expect(dropEmpty({ a: ' ', b: ['', 'x', null], c: { d: '' }, e: 0, f: false })).toEqual({ b: ['x'], c: {}, e: 0, f: false });
  });
});

describe('the form schema', () => {
  const today = '2026-03-19';
  it('keeps the intake messages for its own checks and the common ones for the rest', () => {
    try {
      parseForm(applicationFormSchema(today), { systemCode: 'bad code!', releaseDate: '2026-04-01', funding: ['x'] });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidInput);
      const fields = (err as InvalidInput).fields!;
      expect(fields.systemCode.key).toBe('intake.errors.system_code_invalid');
      expect(fields.releaseDate.key).toBe('intake.errors.date_in_future');
      expect(fields['funding.0'].key).toBe('intake.errors.funding_unknown');
      expect(fields.applicant.key).toBe('errors.fields.required');
    }
  });

  it('takes numbers and yes/no from form text', () => {
    const parsed = applicationFormSchema(today).shape.protection.parse({ present: 'no' });
    expect(parsed.present).toBe(false);
    expect(applicationFormSchema(today).shape.copies.parse('2')).toBe(2);
  });

  it('lets a draft hold anything of the right shape and size, but no unknown fields', () => {
    expect(ApplicationDraft.safeParse({ owner: { email: 'half@' }, copies: 'two', items: [{ sizeMb: '-1' }] }).success).toBe(true);
    expect(ApplicationDraft.safeParse({ colour: 'red' }).success).toBe(false);
    expect(ApplicationDraft.safeParse({ owner: { nickname: 'x' } }).success).toBe(false);
    expect(ApplicationDraft.safeParse({ annotation: 'x'.repeat(10_001) }).success).toBe(false);
  });
});

describe('printed values', () => {
  it('writes the register as CSV with formulas neutralised and commas quoted', () => {
    const row: RegisterRow = {
      no: 1, year: 2026, applicationId: 7, applicationNumber: 'Q2026-00007', receivedOn: '2026-03-19', bodyName: '=HYPERLINK("x")', bodyNameKk: 'Министрлік',
      bodyBin: '000740001307', applicant: 'Иванов, министр', acceptedBy: 'Петров', systemCode: 'IS', portalRefNo: null, portalRefDate: null,
    };
    const lines = registerCsv([row], 'ru').slice(1).trim().split('\r\n');
    expect(lines[1]).toBe(`1,Q2026-00007,19.03.2026,"'=HYPERLINK(""x"")","Иванов, министр",Петров,`);
    expect(registerCsv([row], 'kk')).toContain(',Министрлік,');
  });

  it('formats dates and times as on the forms (Kazakhstan time)', () => {
    expect(formatDate('2026-03-19')).toBe('19.03.2026');
    expect(formatTime('2026-03-19T20:30:00.000Z')).toBe('20.03.2026 01:30');
    expect(formatDate(null)).toBe('');
  });

  it('ends the 12-month warranty on the same day a year later, or the month’s last day', () => {
    expect(addMonths('2025-12-29', 12)).toBe('2026-12-29');
    expect(addMonths('2024-02-29', 12)).toBe('2025-02-28');
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
  });
});
