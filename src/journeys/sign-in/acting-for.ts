// "Whose care are you managing today?": when a supplier asks for the
// `delegations` scope and the person who has just signed in may act for
// someone, they choose between their own care and each person who gave them
// access. finishSignIn (complete.ts) sends them here and, once they have
// answered, returns to the supplier with the answer as the `acting_for` claim
// (oidc/acting-for.ts). Only someone who has finished signing in reaches it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { findAccountById } from '../../store/accounts.js';
import { usableDelegations } from '../../oidc/delegations-claim.js';
import { csrfProtect } from '../../web/security.js';
import {
  ACTING_FOR_PATH,
  ACTING_FOR_SELF,
  finishSignIn,
  renderJourney,
  sessionEnded,
  signInSatisfied,
} from '../complete.js';
import { dayText, fullName } from '../delegate/routes.js';
import type { JourneyDeps } from '../deps.js';
import { typed } from '../form-fields.js';

const NOTHING_CHOSEN = 'Select whose care you are managing today';

export function registerActingForRoutes(app: FastifyInstance, deps: JourneyDeps): void {
  /** The signed-in person, who they may act for today, and the journey; undefined unless the sign-in is complete. */
  async function chooser(request: FastifyRequest) {
    const journey = await deps.journeys.load(request);
    const signIn = journey?.state.signIn;
    if (!journey?.state.interaction || !signIn || !signInSatisfied(journey.state)) return undefined;
    const account = await findAccountById(deps.db, signIn.accountId);
    if (!account || account.locked_at) return undefined;
    const choices = await usableDelegations(deps.db, account);
    return { journey, account, choices };
  }

  type Chooser = NonNullable<Awaited<ReturnType<typeof chooser>>>;

  const items = ({ account, choices }: Chooser, chosen: string) => [
    {
      value: ACTING_FOR_SELF,
      text: 'My own care',
      hint: { text: fullName(account.given_name, account.family_name) },
      checked: chosen === ACTING_FOR_SELF,
    },
    ...choices.map(({ grantor }) => ({
      value: grantor.id,
      text: fullName(grantor.given_name, grantor.family_name),
      ...(grantor.birthdate && { hint: { text: `Born ${dayText(grantor.birthdate)}` } }),
      checked: chosen === grantor.id,
    })),
  ];

  app.get(ACTING_FOR_PATH, async (request, reply) => {
    const c = await chooser(request);
    if (!c) return sessionEnded(reply);
    return renderJourney(reply, c.journey, 'sign-in/acting-for.njk', { items: items(c, ''), errors: {} });
  });

  app.post(ACTING_FOR_PATH, { preHandler: csrfProtect }, async (request, reply) => {
    const c = await chooser(request);
    if (!c) return sessionEnded(reply);
    const { acting_for: chosen } = typed(request.body, ['acting_for']);
    // The choices are read again: a delegation revoked while the page was open is no longer one.
    const valid = chosen === ACTING_FOR_SELF || c.choices.some(({ grantor }) => grantor.id === chosen);
    if (!valid) {
      return reply.code(400).send(
        renderJourney(reply, c.journey, 'sign-in/acting-for.njk', {
          items: items(c, ''),
          errors: { acting_for: NOTHING_CHOSEN },
        }),
      );
    }
    c.journey.state.signIn!.actingFor = chosen;
    return finishSignIn(deps, request, reply, c.journey);
  });
}
