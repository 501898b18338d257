// Passkeys in the back office: the few navigator.credentials calls the
// server's WebAuthn options need, with base64url conversion. Served from
// /assets/backoffice/ (no inline scripts under the CSP). A page opts in with
// an element [data-passkey="sign-in"] or [data-passkey="register"].
const toBytes = (b64url) => {
  const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
};

const toB64url = (buffer) => {
  let raw = '';
  for (const byte of new Uint8Array(buffer)) raw += String.fromCharCode(byte);
  return btoa(raw).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

async function signIn(options) {
  const credential = await navigator.credentials.get({
    publicKey: {
      ...options,
      challenge: toBytes(options.challenge),
      allowCredentials: (options.allowCredentials ?? []).map((c) => ({ ...c, id: toBytes(c.id) })),
    },
  });
  const r = credential.response;
  return {
    id: credential.id,
    rawId: toB64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: {
      clientDataJSON: toB64url(r.clientDataJSON),
      authenticatorData: toB64url(r.authenticatorData),
      signature: toB64url(r.signature),
      userHandle: r.userHandle ? toB64url(r.userHandle) : undefined,
    },
  };
}

async function register(options) {
  const credential = await navigator.credentials.create({
    publicKey: {
      ...options,
      challenge: toBytes(options.challenge),
      user: { ...options.user, id: toBytes(options.user.id) },
      excludeCredentials: (options.excludeCredentials ?? []).map((c) => ({ ...c, id: toBytes(c.id) })),
    },
  });
  const r = credential.response;
  return {
    id: credential.id,
    rawId: toB64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: {
      clientDataJSON: toB64url(r.clientDataJSON),
      attestationObject: toB64url(r.attestationObject),
      transports: typeof r.getTransports === 'function' ? r.getTransports() : [],
    },
  };
}

const FLOWS = {
  'sign-in': { options: '/backoffice/passkey/options', post: '/backoffice/passkey/sign-in', run: signIn },
  register: { options: '/backoffice/passkeys/options', post: '/backoffice/passkeys', run: register },
  reauthenticate: {
    options: '/backoffice/reauthenticate/passkey-options',
    post: '/backoffice/reauthenticate/passkey',
    run: signIn,
  },
};

for (const section of document.querySelectorAll('[data-passkey]')) {
  const flow = FLOWS[section.getAttribute('data-passkey')];
  if (!flow || !window.PublicKeyCredential) continue;
  section.hidden = false;
  const error = section.querySelector('[data-passkey-error]');
  const csrf = section.querySelector('[data-passkey-csrf]')?.value ?? '';
  const next = section.querySelector('[data-passkey-next]')?.value;
  section.querySelector('[data-passkey-start]')?.addEventListener('click', async (event) => {
    event.preventDefault();
    if (error) error.hidden = true;
    try {
      const options = await (await fetch(flow.options, { credentials: 'same-origin' })).json();
      const response = await flow.run(options);
      const answer = await fetch(flow.post, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ _csrf: csrf, response, next }),
      });
      const body = await answer.json();
      if (!answer.ok || typeof body.redirect !== 'string') throw new Error('not accepted');
      window.location.assign(body.redirect);
    } catch {
      if (error) error.hidden = false;
    }
  });
}
