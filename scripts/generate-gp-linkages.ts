// Writes the simulated GP system's linkage details (fixtures/gp-system/linkages.ndjson)
// for the synthetic patients (fixtures/pds/synthetic-patients.ndjson). Deterministic:
// the same seed and the same synthetic record give the same file, so re-running
// changes nothing unless the generator or the record has. Regenerate after
// `npm run pds:generate`.
//   npx tsx scripts/generate-gp-linkages.ts [--seed N] [--out FILE]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  DEFAULT_GP_LINKAGES_FILE,
  generateGpLinkages,
  GP_LINKAGE_SEED,
  serialiseGpLinkages,
} from '../src/adapters/gp-system/linkages.js';
import { loadSyntheticPatients } from '../src/adapters/pds/synthetic.js';

const { values } = parseArgs({
  options: { seed: { type: 'string' }, out: { type: 'string' } },
});
const seed = values.seed === undefined ? GP_LINKAGE_SEED : Number(values.seed);
if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
const out = values.out ?? fileURLToPath(DEFAULT_GP_LINKAGES_FILE);
const records = generateGpLinkages(await loadSyntheticPatients(), seed);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, serialiseGpLinkages(records));
console.log(`${records.length} sets of GP online services details written to ${out} (seed ${seed})`);
