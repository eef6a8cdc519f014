/**
 * Login URL validation and the "Reset My Security Token" page URL (salesforce-facts.md §2).
 *
 * SAFETY: the Classic page `/_ui/system/security/ResetApiTokenConfirm` resets the token on a plain
 * GET. Nothing here ever produces a URL that contains it; `resetPageUrl` checks its own output and
 * throws rather than return such a URL, whatever the input.
 */

export const LIGHTNING_RESET_PATH = '/lightning/settings/personal/ResetApiToken/home';
export const CLASSIC_RESET_PATH = '/_ui/system/security/ResetApiTokenEdit';
export const PRODUCTION_LOGIN_URL = 'https://login.salesforce.com';
export const SANDBOX_LOGIN_URL = 'https://test.salesforce.com';
const FORBIDDEN = /resetapitokenconfirm/i;

declare const loginUrlBrand: unique symbol;
/** A checked login URL: its normalized origin (validateLoginUrl's output). Code that holds one does not check it again. */
export type LoginUrl = string & { readonly [loginUrlBrand]: true };

export class LoginUrlError extends Error {
  override name = 'LoginUrlError';
}

/**
 * The loopback rule: 127.0.0.0/8, ::1 (also IPv4-mapped ::ffff:127.x.y.z, in either spelling) and the name
 * `localhost` itself. Plain http is allowed only there (tests, the emulator). Names *under* localhost
 * (`evil.localhost`, `localhost.`) do not count: whether they resolve to this machine is up to the resolver,
 * and a name an attacker can get resolved elsewhere must never carry a session in clear text. Takes a hostname
 * (URL.hostname: lower case, IPv6 in brackets or not).
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (/^(?:0:0:0:0:0:|::)ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h))
    return isLoopbackHost(h.slice(h.lastIndexOf(':') + 1));
  // WHATWG URL writes ::ffff:127.0.0.1 as ::ffff:7f00:1.
  const mapped = /^(?:0:0:0:0:0:|::)ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(h);
  if (mapped) return parseInt(mapped[1]!, 16) >> 8 === 0x7f;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return !!m && m.slice(1).every((p) => Number(p) <= 255);
}

/** Salesforce's own domains (an org's instance, My Domain or login host lives under one of them). */
const SALESFORCE_DOMAINS = ['salesforce.com', 'force.com', 'cloudforce.com', 'salesforce.mil', 'sfcrmproducts.cn'];

/** Is `hostname` Salesforce's own (salesforce.com, force.com, … or a name under one)? */
export function isSalesforceHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return SALESFORCE_DOMAINS.some((d) => h === d || h.endsWith(`.${d}`));
}

/** A My Domain host (acme.my.salesforce.com, acme--uat.sandbox.my.salesforce.com, … .my.salesforce.mil / .cn). */
export function isMyDomainHost(hostname: string): boolean {
  return /\.my\.(?:salesforce\.com|salesforce\.mil|sfcrmproducts\.cn)$/.test(hostname.toLowerCase());
}

/**
 * Why a URL that will carry the session (a LoginResult's serverUrl, an OAuth instance_url or identity URL, a
 * redirect after the login) must not be used, or undefined when it may. `loginUrl` is where the login went.
 *  - https only; plain http only for a loopback host (the loopback rule above), and never after an https login;
 *  - the login's own host name is always fine (another port on it too: a relay or port forward in front of it);
 *  - another host only when it is Salesforce's own (isSalesforceHost), on https, and the login did not go to a
 *    My Domain: a My Domain login answers with its own host, so another one there means the answer is not the
 *    org's. login.salesforce.com / test.salesforce.com (and instance or custom login hosts) send the org's
 *    My Domain or instance host.
 * Pure; the message names hosts, never the session.
 */
export function sessionUrlProblem(loginUrl: string, candidate: string | undefined | null): string | undefined {
  let login: URL;
  let u: URL;
  try {
    login = new URL(loginUrl);
  } catch {
    return 'the login URL is not valid';
  }
  if (!candidate) return 'it is missing';
  try {
    u = new URL(candidate);
  } catch {
    return 'it is not a valid URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `it uses ${u.protocol} instead of https://`;
  if (u.username || u.password) return 'it contains a user name or password';
  if (u.protocol === 'http:') {
    if (!isLoopbackHost(u.hostname))
      return `it uses plain http:// on ${u.host} (http is allowed only for loopback hosts)`;
    if (login.protocol === 'https:') return `it downgrades the https login to plain http:// (${u.host})`;
  }
  if (u.hostname.toLowerCase() === login.hostname.toLowerCase()) return undefined;
  if (u.protocol === 'https:' && isSalesforceHost(u.hostname) && !isMyDomainHost(login.hostname)) return undefined;
  return isMyDomainHost(login.hostname)
    ? `it points to ${u.host}, not to the My Domain host ${login.hostname} the login went to`
    : `it points to ${u.host}, which is neither the login host ${login.hostname} nor a Salesforce host`;
}

/** True for login.salesforce.com / test.salesforce.com (the generic login hosts, not an org's own host). */
export function isGenericLoginHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === 'login.salesforce.com' || h === 'test.salesforce.com';
}

/**
 * Maps a Lightning or Setup host of an org to its My Domain API host, which serves the login, the
 * APIs and the Classic pages:
 *   acme.lightning.force.com                 → acme.my.salesforce.com
 *   acme--uat.sandbox.lightning.force.com    → acme--uat.sandbox.my.salesforce.com   (enhanced sandbox)
 *   acme--uat.lightning.force.com            → acme--uat.my.salesforce.com           (legacy sandbox)
 *   acme-dev-ed.develop.lightning.force.com  → acme-dev-ed.develop.my.salesforce.com (Developer Edition)
 *   acme.my.salesforce-setup.com             → acme.my.salesforce.com
 * Other hosts are returned unchanged.
 */
export function myDomainHost(hostname: string): string {
  const h = hostname.toLowerCase();
  let m = /^(.+?)\.((?:sandbox|develop|demo|free|scratch|patch|trailblaze)\.)?lightning\.force\.com$/.exec(h);
  if (m) return `${m[1]}.${m[2] ?? ''}my.salesforce.com`;
  m = /^(.+?)\.((?:sandbox|develop|demo|free|scratch|patch|trailblaze)\.)?my\.salesforce-setup\.com$/.exec(h);
  if (m) return `${m[1]}.${m[2] ?? ''}my.salesforce.com`;
  return h;
}

function parse(url: string): URL {
  const text = (url ?? '').trim();
  if (!text)
    throw new LoginUrlError(
      'The login URL is empty. Use your My Domain URL (https://<name>.my.salesforce.com), or https://login.salesforce.com / https://test.salesforce.com.',
    );
  let u: URL;
  try {
    u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    throw new LoginUrlError(
      `"${text.slice(0, 200)}" is not a valid URL. Use your My Domain URL, e.g. https://acme.my.salesforce.com.`,
    );
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new LoginUrlError(`The login URL must start with https:// (got ${u.protocol}).`);
  }
  if (!u.hostname) throw new LoginUrlError('The login URL has no host name.');
  if (u.username || u.password) throw new LoginUrlError('The login URL must not contain a user name or password.');
  return u;
}

/**
 * Checks a login URL and returns its normalized origin (no path, no trailing slash; a Lightning host
 * mapped to its My Domain host). https is required, except for loopback hosts. Throws LoginUrlError.
 */
export function validateLoginUrl(url: string): LoginUrl {
  // Pure: a health check validates the same URL several times (profile check, login, advice), and the
  // status bar re-tests every few minutes; remember the last few accepted URLs (refusals are not kept).
  const known = validLoginUrls.get(url);
  if (known !== undefined) return known;
  const origin = validateLoginUrlUncached(url);
  if (validLoginUrls.size >= 32) validLoginUrls.delete(validLoginUrls.keys().next().value as string);
  validLoginUrls.set(url, origin);
  return origin;
}

const validLoginUrls = new Map<string, LoginUrl>();

function validateLoginUrlUncached(url: string): LoginUrl {
  const u = parse(url);
  if (u.protocol === 'http:' && !isLoopbackHost(u.hostname)) {
    throw new LoginUrlError(`Plain http:// is only allowed for loopback hosts; use https://${u.host} instead.`);
  }
  const host = isLoopbackHost(u.hostname) ? u.host : myDomainHost(u.hostname) + (u.port ? `:${u.port}` : '');
  return `${u.protocol}//${host}` as LoginUrl;
}

/**
 * The page where the user clicks "Reset Security Token":
 *  - on an org's own host: `https://<My Domain host>/lightning/settings/personal/ResetApiToken/home`
 *    (or the Classic `/_ui/system/security/ResetApiTokenEdit` with `{ classic: true }`);
 *  - on login.salesforce.com / test.salesforce.com: `<loginUrl>/?startURL=<encoded path>`, which
 *    logs the user in and then opens the page;
 *  - loopback http URLs (the emulator) keep http and their port.
 * Never ResetApiTokenConfirm (that page resets on GET): checked on the output, throws if violated.
 * Takes any text (validated here, LoginUrlError when bad); a profile's validated URL goes to resetPageUrlOf.
 */
export function resetPageUrl(loginUrl: string, opts: { classic?: boolean } = {}): string {
  return resetPageUrlOf(validateLoginUrl(loginUrl), opts);
}

/** resetPageUrl for a login URL already checked where the profile entered (no second validation; the output check stays). */
export function resetPageUrlOf(origin: LoginUrl, opts: { classic?: boolean } = {}): string {
  const path = opts.classic ? CLASSIC_RESET_PATH : LIGHTNING_RESET_PATH;
  const host = new URL(origin).hostname;
  const out = isGenericLoginHost(host) ? `${origin}/?startURL=${encodeURIComponent(path)}` : `${origin}${path}`;
  assertSafeResetUrl(out);
  return out;
}

/** Throws unless the URL is free of ResetApiTokenConfirm (also percent-encoded, any case). */
export function assertSafeResetUrl(url: string): void {
  let decoded = url;
  for (let i = 0; i < 3; i++) {
    try {
      const next = decodeURIComponent(decoded);
      if (next === decoded) break;
      decoded = next;
    } catch {
      break;
    }
  }
  if (FORBIDDEN.test(url) || FORBIDDEN.test(decoded)) {
    throw new LoginUrlError('Refusing to open ResetApiTokenConfirm: that page resets the token without asking.');
  }
}

/**
 * Advice about the login URL: orgs can block API logins from login.salesforce.com, so the org's
 * My Domain URL is preferred. `instanceUrl` (known after a successful login) is suggested when it
 * is a My Domain host. Returns undefined when there is nothing to say.
 */
export function loginUrlAdvice(loginUrl: string, instanceUrl?: string | null): string | undefined {
  let host: string;
  try {
    host = new URL(validateLoginUrl(loginUrl)).hostname;
  } catch {
    return undefined;
  }
  if (!isGenericLoginHost(host)) return undefined;
  const suggestion = suggestedLoginUrl(instanceUrl);
  return suggestion
    ? `Use your My Domain URL ${suggestion} as the login URL instead of https://${host}: orgs can block API logins from ${host}.`
    : `Prefer your org's My Domain URL (https://<name>.my.salesforce.com) over https://${host}: orgs can block API logins from ${host}.`;
}

/** The My Domain login URL derived from an instance URL, when it is one (else undefined). */
export function suggestedLoginUrl(instanceUrl?: string | null): string | undefined {
  if (!instanceUrl) return undefined;
  try {
    const u = new URL(instanceUrl);
    const host = myDomainHost(u.hostname);
    if (u.protocol === 'https:' && /\.my\.salesforce\.com$/.test(host)) return `https://${host}`;
  } catch {
    /* not a URL */
  }
  return undefined;
}
