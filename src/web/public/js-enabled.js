// Loaded as a classic script at the very start of <body> (CSP forbids the
// inline version in nhsuk-frontend's template.njk): marks the page as having
// JavaScript, and as supported by nhsuk-frontend when ES modules work.
document.body.className +=
  ' js-enabled' + ('noModule' in document.createElement('script') ? ' nhsuk-frontend-supported' : '');
