import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Asset, digestOf } from './assets.js';

/**
 * The scripts of passkeys, served by Wharf itself so the policy stays `script-src 'self'`:
 * SimpleWebAuthn's browser bundle as shipped in node_modules (it defines
 * `window.SimpleWebAuthnBrowser`), and our glue, which wires the buttons marked `data-passkey`.
 */
function webauthnBundle(): string {
  // The package exports only its modules; its folder is found from the entry point.
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  let dir = dirname(entry);
  while (!dir.endsWith('browser') && dirname(dir) !== dir) dir = dirname(dir);
  return readFileSync(join(dir, 'dist', 'bundle', 'index.umd.min.js'), 'utf8');
}

const GLUE = `'use strict';
// Passkey buttons: data-passkey is "register", "login" or "sudo"; data-options and data-finish
// are the two JSON addresses; data-csrf the form's token; data-status the element for messages.
(() => {
  const lib = window.SimpleWebAuthnBrowser;
  const say = (button, text) => {
    const out = document.getElementById(button.getAttribute('data-status'));
    if (out) { out.textContent = text; out.hidden = false; }
  };
  const post = async (url, body, csrf) => {
    const res = await fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(body) });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((data.errors && data.errors[0] && data.errors[0].detail) || 'the server answered ' + res.status);
    return data;
  };
  for (const button of document.querySelectorAll('button[data-passkey]')) {
    if (!lib || !lib.browserSupportsWebAuthn()) {
      say(button, 'This browser cannot use passkeys.');
      continue;
    }
    button.hidden = false;
    button.addEventListener('click', async (event) => {
      event.preventDefault();
      const mode = button.getAttribute('data-passkey');
      const csrf = button.getAttribute('data-csrf');
      button.disabled = true;
      try {
        if (mode === 'register') {
          const nameField = document.getElementById(button.getAttribute('data-name-field'));
          if (!nameField.value.trim()) { nameField.focus(); throw new Error('give the passkey a name first'); }
          const options = await post(button.getAttribute('data-options'), {}, csrf);
          const response = await lib.startRegistration({ optionsJSON: options });
          const done = await post(button.getAttribute('data-finish'), { name: nameField.value, response }, csrf);
          if (done.recoveryCodes) {
            const list = document.getElementById('new-recovery-codes');
            for (const code of done.recoveryCodes) {
              const item = document.createElement('li');
              const text = document.createElement('code');
              text.textContent = code;
              item.append(text);
              list.append(item);
            }
            document.getElementById('new-recovery-codes-panel').hidden = false;
            say(button, 'The passkey was added. Keep the recovery codes below: they are shown only now.');
            return;
          }
          location.assign(done.location);
          return;
        }
        const options = await post(button.getAttribute('data-options'), {}, csrf);
        const response = await lib.startAuthentication({ optionsJSON: options });
        const done = await post(button.getAttribute('data-finish'), { response, next: button.getAttribute('data-next') || '' }, csrf);
        if (mode === 'sudo') {
          const form = button.closest('form');
          for (const input of form.querySelectorAll('[required]')) input.required = false;
          form.submit();
          return;
        }
        location.assign(done.location);
      } catch (err) {
        say(button, 'The passkey did not work: ' + (err && err.message ? err.message : err));
        button.disabled = false;
      }
    });
  }
})();
`;

const script = (name: string, body: string): Asset => ({ path: `/static/${name}.${digestOf(body)}.js`, body, type: 'text/javascript; charset=utf-8' });

export const WEBAUTHN_BUNDLE: Asset = script('simplewebauthn-browser', webauthnBundle());
export const PASSKEY_SCRIPT: Asset = script('passkeys', GLUE);
/** The scripts a page with passkey buttons loads, in order. */
export const PASSKEY_SCRIPTS: readonly string[] = [WEBAUTHN_BUNDLE.path, PASSKEY_SCRIPT.path];
export const FACTOR_ASSETS: readonly Asset[] = [WEBAUTHN_BUNDLE, PASSKEY_SCRIPT];
