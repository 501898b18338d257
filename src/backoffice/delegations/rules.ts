// What the practice's set-up and renewal forms check, without I/O: the basis
// (a child under 16, or a person who lacks capacity to consent), the review
// date (in the future; at most a year ahead for a person who lacks capacity,
// and not after a child's 16th birthday), and what the list shows as due.
import { AGE_OF_CONSENT, birthdayAt, isChild } from '../../domain/delegation.js';

export type Basis = 'child' | 'lacks-capacity';

export const BASES: { value: Basis; text: string; hint: string }[] = [
  {
    value: 'child',
    text: `A child under ${AGE_OF_CONSENT}`,
    hint: `Access ends automatically on their ${AGE_OF_CONSENT}th birthday, when they can give it themselves`,
  },
  {
    value: 'lacks-capacity',
    text: 'A person who lacks capacity to consent',
    hint: `Aged ${AGE_OF_CONSENT} or over, assessed under the Mental Capacity Act 2005. Review at least every year`,
  },
];

export const isBasis = (v: unknown): v is Basis => v === 'child' || v === 'lacks-capacity';

/** The longest a review date may be ahead for a person who lacks capacity, in years. */
export const REVIEW_WITHIN_YEARS = 1;

/** How many days ahead a review date counts as due soon on the practice's list. */
export const DUE_SOON_DAYS = 30;

export const RELATIONSHIP_MAX_LENGTH = 100;

/** `date` (YYYY-MM-DD) plus whole days. */
export function addDays(date: string, days: number): string {
  const at = new Date(`${date}T00:00:00Z`);
  at.setUTCDate(at.getUTCDate() + days);
  return at.toISOString().slice(0, 10);
}

/** Why this basis does not fit a person born on `birthDate`, or undefined. */
export function basisProblem(basis: Basis, birthDate: string, today: string): string | undefined {
  const child = isChild(birthDate, today);
  if (basis === 'child' && !child)
    return `They are ${AGE_OF_CONSENT} or over: they can give access themselves, or choose a person who lacks capacity`;
  if (basis === 'lacks-capacity' && child)
    return `They are under ${AGE_OF_CONSENT}: choose a child under ${AGE_OF_CONSENT}`;
  return undefined;
}

/** The latest review date allowed. */
export function latestReviewDate(basis: Basis, birthDate: string, today: string): string {
  return basis === 'child' ? birthdayAt(birthDate, AGE_OF_CONSENT) : birthdayAt(today, REVIEW_WITHIN_YEARS);
}

/** Why a review date cannot be used, or undefined. */
export function reviewDateProblem(
  reviewOn: string | undefined,
  basis: Basis,
  birthDate: string,
  today: string,
  words: (date: string) => string,
): string | undefined {
  if (!reviewOn) return 'Enter a review date, like 27 3 2027';
  if (reviewOn <= today) return 'The review date must be in the future';
  const latest = latestReviewDate(basis, birthDate, today);
  if (reviewOn > latest)
    return basis === 'child'
      ? `The review date must be on or before their ${AGE_OF_CONSENT}th birthday, ${words(latest)}`
      : `The review date must be within a year, on or before ${words(latest)}`;
  return undefined;
}
