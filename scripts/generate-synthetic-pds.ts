// Writes the synthetic national record (fixtures/pds/synthetic-patients.ndjson)
// that the embedded demographics adapter loads. Deterministic: the same seed
// gives the same file, so re-running changes nothing unless the generator has.
//   npx tsx scripts/generate-synthetic-pds.ts [--seed N] [--out FILE]
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  DEFAULT_SYNTHETIC_DATA_FILE,
  generateSyntheticPatients,
  serialiseSyntheticPatients,
  SYNTHETIC_SEED,
} from '../src/adapters/pds/synthetic.js';

const { values } = parseArgs({
  options: { seed: { type: 'string' }, out: { type: 'string' } },
});
const seed = values.seed === undefined ? SYNTHETIC_SEED : Number(values.seed);
if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
const out = values.out ?? fileURLToPath(DEFAULT_SYNTHETIC_DATA_FILE);
const patients = generateSyntheticPatients(seed);
writeFileSync(out, serialiseSyntheticPatients(patients));
console.log(`${patients.length} people written to ${out} (seed ${seed})`);
