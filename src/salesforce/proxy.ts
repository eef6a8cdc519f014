/** Proxy rules of the login transport (./transport.ts): which proxy, NO_PROXY, proxy credentials. */
import { registerSecret } from '../core/redact';

export interface ProxyOptions {
  /** http://[user:pass@]host:port (https:// proxies are supported too). */
  url?: string;
  /** false: accept any server certificate (VS Code's http.proxyStrictSSL = false). Default true. */
  strictSSL?: boolean;
  /** Comma-separated hosts/domains/IPs that bypass the proxy (NO_PROXY syntax; `*` = all). */
  noProxy?: string;
}

/** Does NO_PROXY exclude this host? Supports `*`, exact hosts, `.domain` / `domain` suffixes, host:port. */
export function bypassesProxy(hostname: string, port: string, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const [entryHost, ep] = entry.startsWith('[')
      ? [entry.slice(1, entry.indexOf(']')), entry.split(']:')[1]]
      : entry.split(':');
    if (ep && ep !== port) continue;
    const eh = (entryHost ?? '').replace(/^\*?\./, '.');
    if (eh.startsWith('.') ? host.endsWith(eh) || host === eh.slice(1) : host === eh || host.endsWith('.' + eh))
      return true;
  }
  return false;
}

/**
 * The proxy for a CLI run from the environment: HTTPS_PROXY / https_proxy for https targets,
 * HTTP_PROXY / http_proxy for http ones, NO_PROXY / no_proxy to bypass. Loopback targets bypass
 * the proxy only when NO_PROXY says so (as curl does).
 */
export function proxyFromEnv(env: Record<string, string | undefined>, targetUrl: string): ProxyOptions | undefined {
  let u: URL;
  try {
    u = new URL(targetUrl);
  } catch {
    return undefined;
  }
  const pick = (...names: string[]) => names.map((n) => env[n]).find((v) => v && v.trim());
  const url =
    u.protocol === 'https:'
      ? pick('HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy')
      : pick('HTTP_PROXY', 'http_proxy');
  if (!url) return undefined;
  const noProxy = pick('NO_PROXY', 'no_proxy');
  return { url: url.trim(), noProxy };
}

export function proxyAuth(p: URL): string | undefined {
  if (!p.username && !p.password) return undefined;
  const cred = `${decodeURIComponent(p.username)}:${decodeURIComponent(p.password)}`;
  registerSecret(cred);
  const value = 'Basic ' + Buffer.from(cred).toString('base64');
  registerSecret(value);
  return value;
}

export function safeHost(u: string): string {
  try {
    return new URL(u).host;
  } catch {
    return 'the server';
  }
}
