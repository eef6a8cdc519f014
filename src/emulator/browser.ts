/**
 * authorizeByHttp: what a user does in the browser on the emulator's authorize pages (log in, then Allow or Deny),
 * done over plain HTTP, for tests, the demo and host tests that have no real browser (as the reset page's
 * clickResetButton does). It never follows the final redirect: it returns the URL the browser would land on
 * (`redirect_uri?code=…&state=…`, or `?error=…`), so the caller hands it to its loopback listener or pastes it.
 * An OAuth error page (unknown client, redirect_uri_mismatch, an expired page) or a refused login throws.
 */

export interface AuthorizeByHttpOptions {
  username: string;
  password: string;
  /** Click Deny instead of Allow. */
  deny?: boolean;
  /** Another fetch (a proxy's, a CA's); default the global one. */
  fetch?: typeof fetch;
}

const unescapeHtml = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
  return m ? unescapeHtml(m[1]!) : undefined;
}

/** The first form of a page: its action (absolute) and its hidden fields. */
function formOf(html: string, pageUrl: string): { action: string; hidden: Record<string, string> } {
  const form = /<form\b[^>]*>/i.exec(html)?.[0];
  if (!form) throw new Error('authorize: the page has no form');
  const hidden: Record<string, string> = {};
  for (const m of html.matchAll(/<input\b[^>]*>/gi)) {
    if ((attr(m[0], 'type') ?? '').toLowerCase() !== 'hidden') continue;
    const name = attr(m[0], 'name');
    if (name) hidden[name] = attr(m[0], 'value') ?? '';
  }
  return { action: new URL(attr(form, 'action') ?? pageUrl, pageUrl).toString(), hidden };
}

function pageError(html: string): string | undefined {
  const m = /<p id="oauth-error"[^>]*>([\s\S]*?)<\/p>/.exec(html);
  return m ? unescapeHtml(m[1]!.replace(/<[^>]+>/g, '')).trim() : undefined;
}

export async function authorizeByHttp(authUrl: string, o: AuthorizeByHttpOptions): Promise<string> {
  const f = o.fetch ?? fetch;
  const landed = (res: Response, from: string): string | undefined => {
    if (res.status < 300 || res.status >= 400) return undefined;
    const loc = res.headers.get('location');
    if (!loc) throw new Error(`authorize: a ${res.status} without a Location`);
    return new URL(loc, from).toString();
  };
  const read = async (res: Response, what: string): Promise<string> => {
    const html = await res.text();
    if (res.status !== 200)
      throw new Error(`authorize: ${pageError(html) ?? `the ${what} answered HTTP ${res.status}`}`);
    return html;
  };
  const post = (action: string, fields: Record<string, string>) =>
    f(action, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });

  let res = await f(authUrl, { redirect: 'manual' });
  let to = landed(res, authUrl);
  if (to) return to;
  const login = await read(res, 'authorize page');
  if (!/name="pw"/.test(login)) throw new Error('authorize: no login form on the authorize page');
  const lf = formOf(login, authUrl);
  res = await post(lf.action, { ...lf.hidden, username: o.username, pw: o.password });
  to = landed(res, lf.action);
  if (to) return to;
  const consent = await read(res, 'login page');
  if (/id="error"/.test(consent) && /name="pw"/.test(consent))
    throw new Error(`authorize: the login page refused ${o.username}'s password`);
  if (!/id="oaapprove"/.test(consent)) throw new Error('authorize: no consent page after the login');
  const cf = formOf(consent, lf.action);
  res = await post(cf.action, { ...cf.hidden, ...(o.deny ? { oadeny: 'Deny' } : { oaapprove: 'Allow' }) });
  to = landed(res, cf.action);
  if (to) return to;
  await read(res, 'consent page');
  throw new Error('authorize: the consent page did not redirect');
}
