// Starts nhsuk-frontend's components. Loaded as a module at the end of
// <body>; the bundle's URL (versioned, so it can be cached for a year) comes
// from this script tag's data-nhsuk-frontend-src attribute.
const script = document.querySelector('script[data-nhsuk-frontend-src]');
const src = script && script.getAttribute('data-nhsuk-frontend-src');
if (src) {
  import(src).then((nhsuk) => nhsuk.initAll());
}
