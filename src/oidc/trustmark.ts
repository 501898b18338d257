// The trustmark: the document a `vtm` claim points to, naming what this
// identity provider can assert.
export function trustmarkUrl(issuer: string): string {
  return `${issuer}/trustmark/${new URL(issuer).host}`;
}
