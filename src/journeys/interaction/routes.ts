// /interaction/:uid: where oidc-provider sends a person when a supplier's
// request needs them (no session, prompt=login, a vector not yet met). We
// note what the supplier asked for in the journey, then send the person to
// the right page: log in, or (already signed in) the missing second factor.
import type { FastifyInstance } from 'fastify';
import { errors as oidcErrors } from 'oidc-provider';
import { sessionCredentials } from '../../oidc/vtr.js';
import { findAccountById } from '../../store/accounts.js';
import { renderErrorPage } from '../../web/errors.js';
import type { JourneyDeps } from '../deps.js';
import type { InteractionContext, JourneyState } from '../state.js';

export function registerInteractionRoutes(app: FastifyInstance, deps: JourneyDeps): void {
  app.get<{ Params: { uid: string } }>('/interaction/:uid', async (request, reply) => {
    const provider = deps.provider();
    let details;
    try {
      details = await provider.interactionDetails(request.raw, reply.raw);
    } catch (e) {
      // Lost or expired interaction, cookie gone, back button after finishing.
      if (e instanceof oidcErrors.SessionNotFound)
        return reply.code(400).send(renderErrorPage(reply, 'sessionEnded'));
      throw e;
    }
    if (details.uid !== request.params.uid)
      return reply.code(400).send(renderErrorPage(reply, 'sessionEnded'));
    const params = details.params as Record<string, string | undefined>;
    const client = await provider.Client.find(params.client_id ?? '');
    if (!client || !params.redirect_uri) return reply.code(400).send(renderErrorPage(reply, 'sessionEnded'));

    const interaction: InteractionContext = {
      uid: details.uid,
      clientId: client.clientId,
      clientName: client.clientName ?? client.clientId,
      redirectUri: params.redirect_uri,
      allowRegistration: params.allow_registration !== 'false',
      vtr: JSON.parse(params.vtr ?? '[]') as string[],
    };

    const journey = await deps.journeys.load(request);
    // A new supplier request starts a new sign-in; the account-page sign-in (if any) stays.
    const state: JourneyState = {
      ...(journey?.state.account ? { account: journey.state.account } : {}),
      interaction,
    };

    const reasons = new Set(details.prompt.reasons);
    const sessionAccountId = details.session?.accountId;
    const onlyStepUp =
      sessionAccountId !== undefined &&
      !reasons.has('login_prompt') &&
      !reasons.has('no_session') &&
      !reasons.has('session_too_old');
    if (onlyStepUp) {
      const account = await findAccountById(deps.db, sessionAccountId);
      if (account) {
        // Signed in already: keep what the session has shown and ask only for what is missing.
        state.signIn = {
          accountId: account.id,
          credentials: [...sessionCredentials(details.session?.amr)],
          level: account.proofing_level,
        };
        await deps.journeys.save(reply, journey, state);
        return reply.redirect('/sign-in/continue', 303);
      }
    }
    await deps.journeys.save(reply, journey, state);
    return reply.redirect('/sign-in', 303);
  });
}
