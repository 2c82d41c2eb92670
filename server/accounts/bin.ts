/**
 * BIN (business identification number) and IIN of Kazakhstan: 12 digits, the last a check digit.
 * The check digit is the sum of the first 11 digits weighted 1..11, modulo 11; when that gives 10,
 * the weights 3..11,1,2 are used instead; when that gives 10 again the number is never issued.
 */
const FIRST_WEIGHTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const SECOND_WEIGHTS = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

export function binCheckDigit(first11: string): number | null {
  const digits = [...first11].map(Number);
  const weighted = (weights: number[]) => digits.reduce((sum, d, i) => sum + d * weights[i], 0) % 11;
  let check = weighted(FIRST_WEIGHTS);
  if (check === 10) check = weighted(SECOND_WEIGHTS);
  return check === 10 ? null : check;
}

export function isValidBin(value: string): boolean {
  if (!/^\d{12}$/.test(value)) return false;
  return binCheckDigit(value.slice(0, 11)) === Number(value[11]);
}
