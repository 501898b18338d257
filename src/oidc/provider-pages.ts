// The few pages oidc-provider renders itself (errors it cannot send back to a
// supplier, such as an unknown client_id or redirect_uri, and the logout
// confirmation), drawn with our NHS templates instead of its defaults.
import type { Configuration } from 'oidc-provider';
import type { Views } from '../web/views.js';

type RenderError = NonNullable<Configuration['renderError']>;
type RpLogout = NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']>;

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escape = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

export function providerPages(views: Views): {
  renderError: RenderError;
  logoutSource: NonNullable<RpLogout['logoutSource']>;
  postLogoutSuccessSource: NonNullable<RpLogout['postLogoutSuccessSource']>;
} {
  return {
    renderError(ctx, out) {
      ctx.type = 'html';
      // The supplier sent a request we cannot return to it (bad client_id or redirect_uri).
      ctx.body = views.render('error.njk', {
        pageTitle: 'There is a problem with the website or app you came from',
        paragraphs: [
          'The NHS website or app that sent you here made a request we cannot accept, so we cannot send you back to it.',
          'Go back to the website or app and try again. If it keeps happening, contact the service you were trying to use.',
          `Error: ${out.error}${out.error_description ? ` (${out.error_description})` : ''}`,
        ],
      });
    },
    logoutSource(ctx, form) {
      ctx.type = 'html';
      // `form` is oidc-provider's own confirmation form (with its CSRF secret); we wrap it in our page.
      const submit = form.replace(
        '</form>',
        '<button class="nhsuk-button" type="submit" form="op.logoutForm" name="logout" value="yes">Log out</button></form>',
      );
      ctx.body = views
        .render('error.njk', {
          pageTitle: 'Log out of NHS login',
          paragraphs: ['Do you want to log out of NHS login on this device?'],
        })
        .replace('</h1>', `</h1>${submit}`);
    },
    postLogoutSuccessSource(ctx) {
      ctx.type = 'html';
      const name = ctx.oidc.client?.clientName;
      ctx.body = views.render('error.njk', {
        pageTitle: 'You have logged out',
        paragraphs: [
          name
            ? `You have logged out of NHS login and ${escape(name)}.`
            : 'You have logged out of NHS login.',
        ],
      });
    },
  };
}
