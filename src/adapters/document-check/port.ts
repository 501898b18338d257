// The document-check ports: reading a photo ID's details, and the evidence
// they become (DocumentEvidence in src/domain/photo-id.ts).
//
// Reading the machine readable zone from a photo needs OCR, and no OCR package
// is installed in this build. (One could be: tesseract.js runs in WASM and
// @tesseract.js-data/eng ships its language data inside the npm package, so
// with corePath and langPath pointed into node_modules it needs no download;
// how well the generic English model reads the zone's OCR-B font on phone
// photos would need measuring.) So for now the person types (or pastes) the
// zone's lines from the document, or the printed details of a driving
// licence, and the evidence says so: `source: 'typed-by-person'`. The domain
// never passes such evidence automatically (PHOTO_ID_POLICY.autoPass),
// because typed details prove nothing about the photo; an ID checker compares
// them with it.
//
// An OCR adapter slots in behind MrzReader: given the cleaned photo of the
// document, it returns the zone's lines, which go through the same parser
// (mrz.ts) and become evidence with `source: 'machine-read'`.
import type { Result } from '../../domain/result.js';

export type MrzReadError =
  /** No adapter can read zones from photos in this deployment. */
  | { readonly code: 'unavailable' }
  /** The photo was read, and no zone was found in it (blurred, glare, cut off). */
  | { readonly code: 'no-zone-found' };

export interface MrzReader {
  /** The zone's lines as printed (two or three lines of A-Z, 0-9 and <), from a cleaned JPEG. */
  readZone(image: Uint8Array): Promise<Result<readonly string[], MrzReadError>>;
}

/** The reader for deployments without OCR: the person types the zone instead. */
export const noMrzReader: MrzReader = {
  readZone: () => Promise.resolve({ ok: false, error: { code: 'unavailable' } }),
};
