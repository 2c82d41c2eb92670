import { describe, expect, it } from 'vitest';
import { binCheckDigit, isValidBin } from '../../server/accounts/bin.js';

describe('BIN check digit', () => {
  it('accepts real BINs, including one that needs the second weight pass', () => {
    // JSC "National Information Technologies": the first pass gives 10, the second 7.
    expect(isValidBin('000740001307')).toBe(true);
    expect(binCheckDigit('00074000130')).toBe(7);
    // Kaspi Bank JSC: the first pass gives the check digit directly.
    expect(isValidBin('971240001315')).toBe(true);
  });

  it('rejects a wrong check digit, wrong length, letters and blanks', () => {
    expect(isValidBin('000740001306')).toBe(false);
    expect(isValidBin('97124000131')).toBe(false);
    expect(isValidBin('9712400013155')).toBe(false);
    expect(isValidBin('97124000131a')).toBe(false);
    expect(isValidBin(' 971240001315')).toBe(false);
    expect(isValidBin('')).toBe(false);
  });

  it('never issues a number whose both passes give 10', () => {
    // 11 ones: first pass 66 % 11 = 0 → fine; find a seed where both passes give 10 by search.
    let found = '';
    for (let n = 0; n < 200000 && !found; n++) {
      const s = String(n).padStart(11, '0');
      if (binCheckDigit(s) === null) found = s;
    }
    expect(found).not.toBe('');
    for (let d = 0; d <= 9; d++) expect(isValidBin(found + d)).toBe(false);
  });
});
