// NHS numbers carry a modulus 11 check digit so that a mistyped digit or a
// swapped pair is caught before we ask the national record about it.

const SEPARATORS = /[\s-]/g;
const TEN_DIGITS = /^\d{10}$/;
const NINE_DIGITS = /^\d{9}$/;

/**
 * The check digit for the first nine digits, or undefined when the
 * remainder makes it 10: no NHS number is ever issued with those nine digits.
 */
export function nhsNumberCheckDigit(first9: string): number | undefined {
  if (!NINE_DIGITS.test(first9)) return undefined;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(first9[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  if (check === 10) return undefined;
  return check;
}

/** The 10 bare digits when the input is a valid NHS number, else undefined. */
export function normaliseNhsNumber(input: string): string | undefined {
  const digits = input.replace(SEPARATORS, '');
  if (!TEN_DIGITS.test(digits)) return undefined;
  const check = nhsNumberCheckDigit(digits.slice(0, 9));
  return check !== undefined && check === Number(digits[9]) ? digits : undefined;
}

export function isValidNhsNumber(input: string): boolean {
  return normaliseNhsNumber(input) !== undefined;
}

/** The 3-3-4 grouping people see on letters and cards. */
export function formatNhsNumber(nhsNumber: string): string {
  const d = nhsNumber.replace(SEPARATORS, '');
  if (!TEN_DIGITS.test(d)) return nhsNumber;
  return `${d.slice(0, 3)} ${d.slice(3, 6)} ${d.slice(6)}`;
}

/** Keeps the last 4 digits: enough for support to correlate, not to identify. */
export function maskNhsNumber(nhsNumber: string): string {
  const d = nhsNumber.replace(SEPARATORS, '');
  if (d.length <= 4) return '*'.repeat(d.length);
  return '*'.repeat(d.length - 4) + d.slice(-4);
}

const TEST_RANGE_PREFIX = '999';
const TEST_SEQUENCE_SPACE = 1_000_000;
const BLOCK = 1_000;

function testNumberFor(raw: number): string | undefined {
  const first9 = TEST_RANGE_PREFIX + String(raw).padStart(6, '0');
  const check = nhsNumberCheckDigit(first9);
  return check === undefined ? undefined : first9 + String(check);
}

// How many valid numbers precede each block of raw sequences, so that a
// seeder creating many patients does not rescan the range for every one.
let validBeforeBlock: Uint32Array | undefined;
function blockIndex(): Uint32Array {
  if (validBeforeBlock) return validBeforeBlock;
  const index = new Uint32Array(TEST_SEQUENCE_SPACE / BLOCK + 1);
  let count = 0;
  for (let raw = 0; raw < TEST_SEQUENCE_SPACE; raw++) {
    if (raw % BLOCK === 0) index[raw / BLOCK] = count;
    if (testNumberFor(raw) !== undefined) count++;
  }
  index[TEST_SEQUENCE_SPACE / BLOCK] = count;
  validBeforeBlock = index;
  return index;
}

/** How many distinct test NHS numbers `generateTestNhsNumber` can produce. */
export function testNhsNumberCapacity(): number {
  return blockIndex()[TEST_SEQUENCE_SPACE / BLOCK] ?? 0;
}

/**
 * A valid NHS number in the 999 range, which is never issued to real people,
 * so synthetic patients cannot collide with a real record. Sequences whose
 * check digit would be 10 are skipped, so `seq` counts valid numbers rather
 * than raw sequences: distinct `seq` values give distinct numbers, in
 * ascending order.
 */
export function generateTestNhsNumber(seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new RangeError(`test NHS number sequence must be a non-negative integer, got ${seq}`);
  }
  const index = blockIndex();
  let block = 0;
  while (block + 1 < index.length - 1 && (index[block + 1] ?? 0) <= seq) block++;
  let remaining = seq - (index[block] ?? 0);
  for (let raw = block * BLOCK; raw < TEST_SEQUENCE_SPACE; raw++) {
    const number = testNumberFor(raw);
    if (number === undefined) continue;
    if (remaining === 0) return number;
    remaining--;
  }
  throw new RangeError(`test NHS number sequence ${seq} is beyond the 999 range`);
}
