// The fixture files of the embedded stand-ins (synthetic PDS, simulated GP
// system) are NDJSON: one record a line, each checked against its schema.
import type { z } from 'zod';

/** Parses NDJSON, failing loudly on a bad line: a broken fixture is a bug, not "no match". */
export function parseNdjson<S extends z.ZodType>(text: string, schema: S, label: string): z.infer<S>[] {
  const records: z.infer<S>[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const parsed = schema.safeParse(JSON.parse(line));
    if (!parsed.success) throw new Error(`${label} line ${i + 1}: ${parsed.error.message}`);
    records.push(parsed.data);
  });
  return records;
}
