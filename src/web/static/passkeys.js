// Passkeys in the browser: asks docsync for a ceremony's options, hands them to
// navigator.credentials (create to register, get to sign in or confirm), and sends the answer
// back as JSON with binary fields in base64url (the shape @simplewebauthn/server reads). Served
// as a file: the CSP forbids inline scripts. Messages go into the page through textContent.
'use strict';
(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

  const toBytes = (text) => {
    const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
    const binary = window.atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  };
  const toText = (buffer) => {
    let binary = '';
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return window.btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };

  async function post(url, body) {
    const response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { accept: 'application/json', 'x-csrf-token': csrf, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw new Error(data?.error?.message ?? `docsync answered ${response.status}.`);
    return data;
  }

  function show(form, message) {
    const out = form.querySelector('[data-passkey-message]');
    if (!out) return;
    out.textContent = message;
    out.hidden = !message;
  }

  async function register(form) {
    const options = await post('/api/me/mfa/webauthn/registration-options');
    const publicKey = {
      ...options,
      challenge: toBytes(options.challenge),
      user: { ...options.user, id: toBytes(options.user.id) },
      excludeCredentials: (options.excludeCredentials ?? []).map((c) => ({ ...c, id: toBytes(c.id) })),
    };
    const credential = await window.navigator.credentials.create({ publicKey });
    const name = form.querySelector('input[name="name"]').value;
    await post('/api/me/mfa/webauthn', {
      name,
      attestation: {
        id: credential.id,
        rawId: toText(credential.rawId),
        type: credential.type,
        response: {
          clientDataJSON: toText(credential.response.clientDataJSON),
          attestationObject: toText(credential.response.attestationObject),
          transports: credential.response.getTransports?.() ?? [],
        },
        clientExtensionResults: credential.getClientExtensionResults(),
        authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
      },
    });
  }

  async function assertion(optionsUrl) {
    const options = await post(optionsUrl);
    const publicKey = {
      ...options,
      challenge: toBytes(options.challenge),
      allowCredentials: (options.allowCredentials ?? []).map((c) => ({ ...c, id: toBytes(c.id) })),
    };
    const credential = await window.navigator.credentials.get({ publicKey });
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toText(credential.response.clientDataJSON),
        authenticatorData: toText(credential.response.authenticatorData),
        signature: toText(credential.response.signature),
        ...(credential.response.userHandle ? { userHandle: toText(credential.response.userHandle) } : {}),
      },
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
    };
  }

  /** What each form does; then the page goes to data-next (or reloads). */
  const ceremonies = {
    register,
    'second-step': async () =>
      post('/api/session/mfa', { method: 'webauthn', assertion: await assertion('/api/session/mfa/webauthn-options') }),
    'step-up': async () =>
      post('/api/me/mfa/verify', { method: 'webauthn', assertion: await assertion('/api/me/mfa/webauthn/authentication-options') }),
    passwordless: async () => post('/api/session/passkey', { assertion: await assertion('/api/session/passkey/options') }),
  };

  for (const form of document.querySelectorAll('form[data-passkey]')) {
    if (!window.PublicKeyCredential) {
      show(form, 'This browser cannot use passkeys.');
      continue;
    }
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const button = form.querySelector('button');
      button.disabled = true;
      show(form, '');
      try {
        await ceremonies[form.dataset.passkey](form);
        window.location.assign(form.dataset.next || window.location.pathname);
      } catch (error) {
        const cancelled = error?.name === 'NotAllowedError';
        show(form, cancelled ? 'The passkey request was cancelled or timed out. Try again.' : error.message);
        button.disabled = false;
      }
    });
  }
})();
