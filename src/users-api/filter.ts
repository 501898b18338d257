// The SCIM filters the Users API understands (RFC 7644 §3.4.2.2, a small
// part of it): `nhsnumber eq "9000000009"` and `email eq "a@b.example"`,
// joined by `or`, at most 5. Attribute names and operators are
// case-insensitive; values are JSON strings (with their escapes). Anything
// else (other attributes or operators, `and`, `not`, brackets) is refused.
import { normaliseNhsNumber } from '../domain/nhs-number.js';
import { err, ok, type Result } from '../domain/result.js';

export const MAX_FILTER_EXPRESSIONS = 5;
const MAX_FILTER_LENGTH = 2048;

export type FilterAttribute = 'nhsnumber' | 'email';

export interface FilterExpression {
  attribute: FilterAttribute;
  /** The NHS number as 10 digits, or the email address as written. */
  value: string;
}

const ATTRIBUTES = new Set<string>(['nhsnumber', 'email']);
const WORD = /[A-Za-z][A-Za-z0-9._:$-]*/y;
const SPACE = /[ \t]+/y;
// Control characters cannot be in an NHS number or an email address (nor in Postgres text: NUL).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  private match(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m) return undefined;
    this.pos = re.lastIndex;
    return m[0];
  }

  space(): boolean {
    return this.match(SPACE) !== undefined;
  }

  word(): string | undefined {
    return this.match(WORD);
  }

  /** A JSON string: from the opening quote to the first quote not escaped. */
  string(): string | undefined {
    if (this.text[this.pos] !== '"') return undefined;
    let i = this.pos + 1;
    while (i < this.text.length && this.text[i] !== '"') i += this.text[i] === '\\' ? 2 : 1;
    if (i >= this.text.length) return undefined;
    try {
      const value = JSON.parse(this.text.slice(this.pos, i + 1)) as unknown;
      this.pos = i + 1;
      return typeof value === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  }

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  /** What is at the current position, for error messages. */
  get here(): string {
    const rest = this.text.slice(this.pos);
    return rest.length > 20 ? `${rest.slice(0, 20)}…` : rest;
  }
}

function expression(s: Scanner): Result<FilterExpression, string> {
  const at = s.here;
  const name = s.word();
  if (!name) return err(`expected an attribute name at "${at}"`);
  const attribute = name.toLowerCase();
  if (!ATTRIBUTES.has(attribute)) return err(`unknown attribute ${name}: filter on nhsnumber or email`);
  if (!s.space()) return err(`expected "eq" after ${name}`);
  const op = s.word();
  if (op?.toLowerCase() !== 'eq')
    return err(`only the eq operator is supported (got ${op ?? `"${s.here}"`})`);
  if (!s.space()) return err('expected a quoted value after eq');
  const start = s.here;
  const raw = s.string();
  if (raw === undefined) return err(`expected a quoted string value at "${start}"`);
  if (CONTROL.test(raw)) return err(`the ${attribute} value must not contain control characters`);
  if (attribute === 'nhsnumber') {
    const nhsNumber = normaliseNhsNumber(raw);
    if (!nhsNumber) return err(`"${raw}" is not a valid NHS number`);
    return ok({ attribute, value: nhsNumber });
  }
  if (!raw.trim()) return err('the email value must not be empty');
  return ok({ attribute: 'email', value: raw.trim() });
}

/** Parses a filter; the error says what is wrong, for the SCIM `invalidFilter` detail. */
export function parseUsersFilter(input: string): Result<FilterExpression[], string> {
  if (input.length > MAX_FILTER_LENGTH)
    return err(`the filter must be at most ${MAX_FILTER_LENGTH} characters`);
  const s = new Scanner(input.trim());
  if (s.done) return err('a filter is required, e.g. nhsnumber eq "9000000009"');
  const expressions: FilterExpression[] = [];
  for (;;) {
    const e = expression(s);
    if (!e.ok) return e;
    expressions.push(e.value);
    if (s.done) break;
    if (!s.space()) return err(`expected "or" at "${s.here}"`);
    const join = s.word();
    if (join?.toLowerCase() !== 'or') {
      return err(`expressions can only be joined with or (got ${join ?? `"${s.here}"`})`);
    }
    if (expressions.length >= MAX_FILTER_EXPRESSIONS) {
      return err(`at most ${MAX_FILTER_EXPRESSIONS} expressions may be joined with or`);
    }
    if (!s.space()) return err('expected an expression after or');
  }
  return ok(expressions);
}
