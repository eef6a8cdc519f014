/**
 * The web pages: the reset page (Lightning `GET /lightning/settings/personal/ResetApiToken/home[?user=U]`, Classic
 * `/_ui/system/security/ResetApiTokenEdit`): GET never resets; POST with the page's one-time CSRF nonce resets and
 * mails the token. `/_ui/system/security/ResetApiTokenConfirm` → 403, never resets, counted in stats.confirmHits.
 * `GET /?startURL=/path` redirects to the path (the login-then-go entry); `GET /` lists the users.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { htmlEsc, page, send, type RequestContext, type Route } from './http';
import { resetToken, sendVerificationCode } from './mailOut';
import type { EmulatorState, User } from './state';

export const LIGHTNING_RESET_PATH = '/lightning/settings/personal/ResetApiToken/home';
export const CLASSIC_RESET_PATH = '/_ui/system/security/ResetApiTokenEdit';
export const CONFIRM_PATH = '/_ui/system/security/ResetApiTokenConfirm';

function chooseUserPage(state: EmulatorState, res: ServerResponse, path: string): void {
  const options = [...state.users.values()]
    .map((u) => `<option value="${htmlEsc(u.username)}">${htmlEsc(u.username)} (${htmlEsc(u.org.name)})</option>`)
    .join('');
  page(
    'Log In',
    `<h1>Log in to Salesforce</h1>
<p class="note">This emulator has no real sessions: choose the user you are.</p>
<form method="get" action="${htmlEsc(path)}">
  <label for="user">Username</label>
  <select id="user" name="user">${options}</select>
  <button class="btn" type="submit">Log In</button>
</form>`,
    'en',
    200,
    res,
  );
}

function resetPage(state: EmulatorState, res: ServerResponse, path: string, u: User): void {
  const nonce = randomBytes(16).toString('hex');
  state.nonces.set(nonce, { username: u.username, expires: Date.now() + 30 * 60_000 });
  const ja = u.language === 'ja';
  const title = ja ? '私のセキュリティトークンのリセット' : 'Reset My Security Token';
  const button = ja ? 'セキュリティトークンのリセット' : 'Reset Security Token';
  const text = ja
    ? 'セキュリティトークンをリセットすると、古いトークンは使用できなくなります。新しいセキュリティトークンは、個人設定のメールアドレスに送信されます。'
    : "When you reset your security token, your old token can no longer be used in API applications and desktop clients. We'll email the new security token to the address in your personal settings.";
  page(
    title,
    `<h1>${htmlEsc(title)}</h1>
<p>${htmlEsc(text)}</p>
<p class="note">${ja ? 'ユーザ名' : 'Username'}: <b id="username">${htmlEsc(u.username)}</b> · ${ja ? 'メール' : 'Email'}: ${htmlEsc(u.email)}</p>
<form method="post" action="${htmlEsc(path)}">
  <input type="hidden" name="nonce" value="${nonce}">
  <input type="hidden" name="user" value="${htmlEsc(u.username)}">
  <button class="btn" type="submit" id="resetToken" name="reset" value="1" title="Reset Security Token">${htmlEsc(button)}</button>
</form>`,
    ja ? 'ja' : 'en',
    200,
    res,
  );
}

async function handleResetPost(state: EmulatorState, res: ServerResponse, path: string, body: string): Promise<void> {
  const form = new URLSearchParams(body);
  const nonce = form.get('nonce') ?? '';
  const entry = state.nonces.get(nonce);
  if (!entry || entry.expires < Date.now() || entry.username.toLowerCase() !== (form.get('user') ?? '').toLowerCase()) {
    page(
      'Page Expired',
      `<div class="err"><h1>This page has expired</h1><p>The form was already used or is too old. <a href="${htmlEsc(path)}">Reload the page</a> and click the button again.</p></div>`,
      'en',
      403,
      res,
    );
    return;
  }
  state.nonces.delete(nonce);
  const u = state.getUser(entry.username);
  const ja = u.language === 'ja';
  try {
    if (u.sendVerificationCode) await sendVerificationCode(state, u.username);
    await resetToken(state, u.username);
  } catch (e) {
    page(
      'Error',
      `<div class="err"><h1>The email could not be sent</h1><p>Your security token was reset, but the email with the new token could not be delivered: ${htmlEsc(e instanceof Error ? e.message : String(e))}</p></div>`,
      'en',
      500,
      res,
    );
    return;
  }
  page(
    ja ? 'メールを確認してください' : 'Check your email',
    `<div class="ok"><h1>${ja ? 'メールを確認してください' : 'Check your email'}</h1>
<p>${
      ja
        ? `新しいセキュリティトークンを ${htmlEsc(u.email)} に送信しました。`
        : `We've sent your new security token to ${htmlEsc(u.email)}. Your previous token no longer works.`
    }</p></div>`,
    ja ? 'ja' : 'en',
    200,
    res,
  );
}

function confirmPage(state: EmulatorState, res: ServerResponse): void {
  state.stats.confirmHits++;
  state.log('emulator: ResetApiTokenConfirm was requested (refused, counted)');
  page(
    'Forbidden',
    `<div class="err"><h1>ResetApiTokenConfirm must never be opened</h1>
<p>On real Salesforce a plain GET of <code>/_ui/system/security/ResetApiTokenConfirm</code> resets the security token at once, without asking. Token Relay must never open it; it opens <code>${LIGHTNING_RESET_PATH}</code> (or the Classic <code>${CLASSIC_RESET_PATH}</code>) instead.</p>
<p class="note">The emulator did not reset anything. This request was counted (stats.confirmHits) so tests can prove nobody opens this page.</p></div>`,
    'en',
    403,
    res,
  );
}

function homePage(state: EmulatorState, res: ServerResponse): void {
  const rows = [...state.users.values()]
    .map(
      (u) =>
        `<li><a href="${LIGHTNING_RESET_PATH}?user=${encodeURIComponent(u.username)}">${htmlEsc(u.username)}</a> (${htmlEsc(u.org.name)})</li>`,
    )
    .join('');
  page(
    'Home',
    `<h1>Salesforce Emulator</h1><p>Reset page for:</p><ul>${rows}</ul><p class="note">SOAP login: <code>${htmlEsc(state.base)}/services/Soap/u/64.0</code></p>`,
    'en',
    200,
    res,
  );
}

function handleResetPage({ state, res, url, method, path, body }: RequestContext): unknown {
  if (method === 'POST') return handleResetPost(state, res, path, body);
  if (method !== 'GET' && method !== 'HEAD') return send(res, 405, 'text/plain', 'Method Not Allowed');
  state.stats.resetPageViews++;
  const who = url.searchParams.get('user');
  if (!who) {
    if (state.users.size === 1) return resetPage(state, res, path, [...state.users.values()][0]!);
    return chooseUserPage(state, res, path);
  }
  const u = state.users.get(who.toLowerCase());
  if (!u)
    return page(
      'Unknown user',
      `<div class="err"><h1>Unknown user</h1><p>No user ${htmlEsc(who)} in this emulator.</p></div>`,
      'en',
      404,
      res,
    );
  return resetPage(state, res, path, u);
}

function handleRoot({ state, res, url, method, path }: RequestContext): unknown {
  if (method !== 'GET') return notFoundPage(res, path);
  const start = url.searchParams.get('startURL');
  if (start) {
    if (!start.startsWith('/') || start.startsWith('//'))
      return page(
        'Bad Request',
        '<div class="err"><h1>startURL must be a path on this host</h1></div>',
        'en',
        400,
        res,
      );
    return send(
      res,
      302,
      'text/html',
      `<html><body>Redirecting to <a href="${htmlEsc(start)}">${htmlEsc(start)}</a></body></html>`,
      { Location: start },
    );
  }
  return homePage(state, res);
}

export function notFoundPage(res: ServerResponse, path: string): void {
  page(
    'Not Found',
    `<div class="err"><h1>Not found</h1><p>${htmlEsc(path)} does not exist in the emulator.</p></div>`,
    'en',
    404,
    res,
  );
}

/** Before every other route: never reset from the Confirm page (nor a Lightning wrapper pointing at it). */
export const confirmGuardRoute: Route = {
  path: (url) =>
    /resetapitokenconfirm/i.test(url.pathname) || /resetapitokenconfirm/i.test(decodeURIComponent(url.search)),
  handle: ({ state, res }) => confirmPage(state, res),
};

export const pageRoutes: Route[] = [
  {
    path: (url) => url.pathname === LIGHTNING_RESET_PATH || url.pathname === CLASSIC_RESET_PATH,
    handle: handleResetPage,
  },
  { path: '/', handle: handleRoot },
  { path: '/favicon.ico', handle: ({ res }) => send(res, 404, 'text/plain', '') },
];
