/**
 * The local provider's own pages: sign-in, the one-click sign-out hand-off, and plain messages.
 * Deliberately bare HTML with a strict CSP: no data, no external resources; the one inline
 * style and the sign-out script carry a per-response nonce.
 */
import { randomBytes } from 'node:crypto';

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

export interface Page {
  html: string;
  /** the Content-Security-Policy that goes with this page */
  csp: string;
}

const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1b1f24}
main{max-width:22rem;margin:12vh auto;padding:2rem;background:#fff;border:1px solid #d0d4da;border-radius:8px}
h1{font-size:1.25rem;margin:0 0 1rem}
label{display:block;font-weight:600;margin-top:1rem}
input{box-sizing:border-box;width:100%;padding:.5rem;font:inherit;border:1px solid #8a929c;border-radius:4px}
button{margin-top:1.5rem;padding:.55rem 1.2rem;font:inherit;font-weight:600;color:#fff;background:#1a56c4;border:0;border-radius:4px;cursor:pointer}
button:focus-visible,input:focus-visible{outline:3px solid #f0a800;outline-offset:2px}
.error{color:#a4161a;font-weight:600}
.muted{color:#5b636d;font-size:.9rem}`;

/**
 * `formTargets`: where this page's form may post and where that post may redirect to
 * (Chromium applies form-action to the redirects that follow a form submission too).
 */
function page(title: string, body: string, opts: { formTargets?: string[]; script?: string } = {}): Page {
  const nonce = randomBytes(16).toString('base64');
  const script = opts.script ? `<script nonce="${nonce}">${opts.script}</script>` : '';
  const formAction = opts.formTargets ? opts.formTargets.join(' ') : "'none'";
  return {
    html: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style nonce="${nonce}">${STYLE}</style></head><body><main>${body}</main>${script}</body></html>`,
    csp: `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; form-action ${formAction}; base-uri 'none'; frame-ancestors 'none'`,
  };
}

export function loginPage(opts: {
  action: string;
  formTargets: string[];
  username?: string;
  error?: string;
}): Page {
  const error = opts.error
    ? `<p class="error" role="alert" id="login-error">${escapeHtml(opts.error)}</p>`
    : '';
  const describedBy = opts.error ? ' aria-describedby="login-error"' : '';
  return page(
    'Sign in · EMI payment links',
    `<h1>Sign in to EMI payment links</h1>${error}
<form method="post" action="${escapeHtml(opts.action)}" autocomplete="off">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus value="${escapeHtml(opts.username ?? '')}"${describedBy}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${describedBy}>
<button type="submit">Sign in</button>
</form>
<p class="muted">Local demo identity provider.</p>`,
    { formTargets: opts.formTargets },
  );
}

/**
 * oidc-provider's sign-out confirmation form, submitted at once: the page's Log out is a
 * deliberate click already, as with Cognito's /logout. The form keeps its anti-CSRF token.
 */
export function logoutPage(form: string, formTargets: string[]): Page {
  const withYes = form.replace('</form>', '<input type="hidden" name="logout" value="yes"></form>');
  return page(
    'Signing out · EMI payment links',
    `<h1>Signing out…</h1>${withYes}<button type="submit" form="op.logoutForm">Sign out</button>`,
    { formTargets, script: "document.getElementById('op.logoutForm').submit();" },
  );
}

export function messagePage(title: string, text: string): Page {
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>`);
}
