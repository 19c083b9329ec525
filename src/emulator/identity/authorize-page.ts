// The small sign-in + consent page of /{tenant}/oauth2/v2.0/authorize. One form: the user
// signs in and accepts the permissions in one step (the real service uses two pages).

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface SignInPageInput {
  appDisplayName: string;
  tenantName: string;
  permissions: string[];
  /** Every authorize parameter, carried through the form as hidden fields. */
  params: Record<string, string>;
  loginHint: string | undefined;
  error: string | undefined;
}

export function signInPage(input: SignInPageInput): string {
  const hidden = Object.entries(input.params)
    .filter(([name]) => !['login', 'passwd', 'decision'].includes(name))
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n      ');
  const permissions = input.permissions.map((p) => `<li>${escapeHtml(p)}</li>`).join('');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in to your account</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}label{display:block;margin-top:1rem}
input[type=text],input[type=password]{width:100%;padding:.4rem}
.error{color:#a4262c}button{margin-top:1.5rem;margin-right:.5rem;padding:.5rem 1.2rem}</style></head>
<body>
  <main>
    <h1>Sign in</h1>
    <p>Emulated Microsoft identity platform · ${escapeHtml(input.tenantName)}</p>
    ${input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : ''}
    <form method="post">
      ${hidden}
      <label for="login">Email, phone, or Skype</label>
      <input type="text" id="login" name="login" autocomplete="username" value="${escapeHtml(input.loginHint ?? '')}" required>
      <label for="passwd">Password</label>
      <input type="password" id="passwd" name="passwd" autocomplete="current-password" required>
      <h2>Permissions requested</h2>
      <p><strong>${escapeHtml(input.appDisplayName)}</strong> would like to:</p>
      <ul>${permissions}</ul>
      <button type="submit" name="decision" value="accept">Accept</button>
      <button type="submit" name="decision" value="cancel" formnovalidate>Cancel</button>
    </form>
  </main>
</body>
</html>
`;
}

export function errorPage(message: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in to your account</title></head>
<body><main><h1>Sign in</h1><p role="alert">Sorry, but we're having trouble signing you in.</p><p>${escapeHtml(message)}</p></main></body>
</html>
`;
}
