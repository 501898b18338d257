// A demographics service for tests: the embedded synthetic national record,
// which a test can take down (every call 'unavailable', as PDS being
// unreachable) and whose reads and searches it can count.
import {
  createEmbeddedDemographics,
  type Demographics,
  type PdsError,
} from '../../src/adapters/pds/index.js';
import { err } from '../../src/domain/result.js';

/**
 * An NHS number in clear: ten digits standing alone (as a JSON value or in
 * text), or written 3 3 4. Digits inside an id (a UUID's last group, a
 * hash) are not one: those made the plain /\d{10}/ fail at random.
 */
export const NHS_NUMBER_IN_CLEAR = /(?<![\w-])\d{10}(?![\w-])|\d{3} \d{3} \d{4}/;

export interface TestDemographics extends Demographics {
  /** While true, every call answers 'unavailable' (a timeout). */
  down: boolean;
  /** Calls made so far (including those answered 'unavailable'). */
  readonly calls: { read: number; search: number };
}

export function testDemographics(): TestDemographics {
  const embedded = createEmbeddedDemographics();
  const unavailable: PdsError = { kind: 'unavailable', reason: 'timeout' };
  const calls = { read: 0, search: 0 };
  const self: TestDemographics = {
    down: false,
    calls,
    async read(nhsNumber, options) {
      calls.read += 1;
      return self.down ? err(unavailable) : embedded.read(nhsNumber, options);
    },
    async search(query, options) {
      calls.search += 1;
      return self.down ? err(unavailable) : embedded.search(query, options);
    },
  };
  return self;
}
