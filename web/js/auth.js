// Access to a server that needs its token (rushes serve on a non-loopback address): asks
// for the token once in a small dialog, keeps it in localStorage, sends it as a Bearer
// header and trades it for the HttpOnly session cookie that <img> and <video> carry.
// Owns nothing else; api.js calls it around every request.

const STORAGE_KEY = 'rushes.token';

function storedToken() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

function remember(token) {
  try {
    if (token) localStorage.setItem(STORAGE_KEY, token);
    else localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Private mode without storage: the cookie still lasts for this browser session.
  }
}

/** Headers that prove access, if a token is known. */
export function authHeaders() {
  const token = storedToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** POST /api/session: true when the server accepted the token and set its cookie. */
async function openSession(token) {
  const response = await fetch('/api/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
    credentials: 'same-origin',
  });
  return response.ok;
}

/** Settles when a stored token (if any) has been traded for a fresh cookie. */
export const sessionReady = (async () => {
  const token = storedToken();
  if (!token) return;
  try {
    if (!(await openSession(token))) remember(null);
  } catch {
    // The server is unreachable: the request that follows will say so.
  }
})();

// The session cookie lasts 12 hours and ends when the server restarts: renew it while the
// page is open, and when it is shown again, so thumbnails and media keep loading.
const SESSION_RENEW_MS = 60 * 60 * 1000;

function renewSession() {
  const token = storedToken();
  if (token) openSession(token).catch(() => {});
}

setInterval(renewSession, SESSION_RENEW_MS);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') renewSession();
});

function buildDialog() {
  const dialog = document.createElement('dialog');
  dialog.id = 'auth-dialog';
  dialog.className = 'auth-dialog';
  dialog.setAttribute('aria-label', 'Access token');
  const form = document.createElement('form');
  form.method = 'dialog';
  const title = document.createElement('h2');
  title.textContent = 'This rushes server needs its access token';
  const hint = document.createElement('p');
  hint.className = 'muted';
  hint.textContent = '`rushes serve` printed it when it started. It is kept in this browser.';
  const label = document.createElement('label');
  label.textContent = 'Access token ';
  const input = document.createElement('input');
  input.type = 'password';
  input.name = 'token';
  input.id = 'auth-token';
  input.autocomplete = 'current-password';
  input.required = true;
  label.append(input);
  const error = document.createElement('p');
  error.className = 'message error';
  error.id = 'auth-error';
  error.hidden = true;
  const submit = document.createElement('button');
  submit.type = 'submit';
  submit.className = 'button';
  submit.textContent = 'Open';
  form.append(title, hint, label, submit, error);
  dialog.append(form);
  // Escape must not leave the page without access.
  dialog.addEventListener('cancel', (event) => event.preventDefault());
  document.body.append(dialog);
  return { dialog, form, input, error, submit };
}

function askUntilAccepted() {
  return new Promise((resolve) => {
    const { dialog, form, input, error, submit } = buildDialog();
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      submit.disabled = true;
      let accepted = false;
      try {
        accepted = await openSession(token);
      } catch {
        accepted = false;
      }
      submit.disabled = false;
      if (!accepted) {
        error.hidden = false;
        error.textContent = 'That token was not accepted.';
        input.select();
        return;
      }
      remember(token);
      dialog.close();
      dialog.remove();
      resolve();
    });
    dialog.showModal();
    input.focus();
  });
}

let pending = null;

/** After a 401: asks for the token (once, however many requests failed) and opens a session. */
export function ensureSession() {
  if (!pending) {
    remember(null);
    pending = askUntilAccepted().finally(() => {
      pending = null;
    });
  }
  return pending;
}
