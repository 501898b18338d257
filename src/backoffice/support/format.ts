// Dates and times on support pages, the way the NHS writes them, in UK time.
export { dateTimeText } from '../../journeys/account/routes.js';

const DATE = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'Europe/London',
});

/** "3 March 2025". */
export function dateText(at: Date): string {
  return DATE.format(at);
}
