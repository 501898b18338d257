// A demographics service for tests: the embedded synthetic national record,
// which a test can take down (every call 'unavailable', as PDS being
// unreachable) and whose reads and searches it can count.
import {
  createEmbeddedDemographics,
  type Demographics,
  type PdsError,
} from '../../src/adapters/pds/index.js';
import { err } from '../../src/domain/result.js';

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
