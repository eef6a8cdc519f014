/**
 * The HTTP transport that jsforce uses for our login tests (installed on the Connection and its
 * OAuth2 object in place of jsforce's node-fetch transport).
 *
 * Why our own: jsforce 3.10.16's transport has a 30-minute timeout that callers cannot change, cannot
 * be aborted, retries GETs for up to ~15 s on network errors, takes its proxy only from environment
 * variables at load time (no strictSSL, no NO_PROXY), and reports an HTML captive-portal page as
 * "could not extract session information". This one gives:
 *  - one deadline for the whole test (timeoutMs) and AbortSignal support: never hangs;
 *  - proxies: HTTP CONNECT tunnels for https targets, absolute-URI requests for http targets,
 *    basic proxy credentials from the proxy URL, `strictSSL: false` to accept intercepting proxies;
 *  - CA: Node's default store, which includes NODE_EXTRA_CA_CERTS;
 *  - answers that are not Salesforce's (HTML, unparseable faults, redirects on POST, huge bodies)
 *    become `UnexpectedResponseError` so they classify as `unexpected-response`.
 * Only node: built-ins; the response body never reaches a log line.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { PassThrough } from 'node:stream';
import { UnexpectedResponseError } from '../core/health';
import { registerSecret } from '../core/redact';
import type { Logger } from '../core/log';

export interface TransportRequest {
  method: string;
  url: string;
  body?: string | Buffer;
  headers?: Record<string, string | undefined>;
}

export interface TransportResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface ProxyOptions {
  /** http://[user:pass@]host:port (https:// proxies are supported too). */
  url?: string;
  /** false: accept any server certificate (VS Code's http.proxyStrictSSL = false). Default true. */
  strictSSL?: boolean;
  /** Comma-separated hosts/domains/IPs that bypass the proxy (NO_PROXY syntax; `*` = all). */
  noProxy?: string;
}

export interface TransportOptions {
  signal?: AbortSignal;
  /** Absolute deadline on the monotonic clock (performance.now()). */
  deadline: number;
  proxy?: ProxyOptions;
  log?: Logger;
  /** Called with every response before jsforce sees it (the login reads the SOAP userInfo here). */
  onResponse?: (req: TransportRequest, res: TransportResponse) => void;
  /** Extra trusted CAs (PEM), besides Node's store and NODE_EXTRA_CA_CERTS. */
  ca?: string | Buffer | Array<string | Buffer>;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;
const MAX_REDIRECTS = 5;

function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  (e as NodeJS.ErrnoException).code = 'ABORT_ERR';
  return e;
}

function timeoutError(host: string): Error {
  const e = new Error(`No answer from ${host} in time`);
  (e as NodeJS.ErrnoException).code = 'ETIMEDOUT';
  (e as { host?: string }).host = host;
  return e;
}

/** Does NO_PROXY exclude this host? Supports `*`, exact hosts, `.domain` / `domain` suffixes, host:port. */
export function bypassesProxy(hostname: string, port: string, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let [eh, ep] = entry.startsWith('[') ? [entry.slice(1, entry.indexOf(']')), entry.split(']:')[1]] : entry.split(':');
    if (ep && ep !== port) continue;
    eh = (eh ?? '').replace(/^\*?\./, '.');
    if (eh.startsWith('.') ? host.endsWith(eh) || host === eh.slice(1) : host === eh || host.endsWith('.' + eh)) return true;
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
  const url = u.protocol === 'https:' ? pick('HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy') : pick('HTTP_PROXY', 'http_proxy');
  if (!url) return undefined;
  const noProxy = pick('NO_PROXY', 'no_proxy');
  return { url: url.trim(), noProxy };
}

/** jsforce's Transport interface (httpRequest returns a promise with a `.stream()`), on node:http. */
export class RelayTransport {
  constructor(private readonly opts: TransportOptions) {
    if (opts.proxy?.url) {
      try {
        const p = new URL(opts.proxy.url);
        registerSecret(decodeURIComponent(p.password));
      } catch {
        /* reported when used */
      }
    }
  }

  httpRequest(req: TransportRequest, _options?: unknown): Promise<TransportResponse> & { stream(): PassThrough } {
    const stream = new PassThrough();
    const promise = this.send(req, 0).finally(() => stream.end()) as Promise<TransportResponse> & { stream(): PassThrough };
    promise.stream = () => stream;
    return promise;
  }

  private async send(req: TransportRequest, redirects: number): Promise<TransportResponse> {
    const res = await this.once(req);
    if (res.statusCode >= 300 && res.statusCode < 400 && res.headers['location']) {
      const target = new URL(res.headers['location'], req.url).toString();
      if (req.method.toUpperCase() !== 'GET' || redirects >= MAX_REDIRECTS) {
        throw new UnexpectedResponseError(
          `The server redirected the ${req.method.toUpperCase() === 'GET' ? 'request' : 'login'} to ${new URL(target).host} instead of answering (HTTP ${res.statusCode}). A proxy, captive portal or wrong login URL is the usual cause.`,
          'REDIRECT',
          res.statusCode,
          res.headers['content-type'],
        );
      }
      return this.send({ ...req, url: target }, redirects + 1);
    }
    this.check(req, res);
    this.opts.onResponse?.(req, res);
    return res;
  }

  /** Turns answers that are not Salesforce's into UnexpectedResponseError. */
  private check(req: TransportRequest, res: TransportResponse): void {
    const ct = (res.headers['content-type'] ?? '').toLowerCase();
    const head = res.body.slice(0, 4096);
    const host = safeHost(req.url);
    const isHtml = ct.includes('text/html') || /^\s*(<!doctype\s+html|<html[\s>])/i.test(head) || /<\/(html|body)>/i.test(head);
    if (isHtml) {
      throw new UnexpectedResponseError(
        `${host} answered with an HTML page (HTTP ${res.statusCode}) instead of a Salesforce API response. A captive portal, a proxy's login page or a wrong login URL is the usual cause.`,
        'HTML_RESPONSE',
        res.statusCode,
        ct,
      );
    }
    const path = safePath(req.url);
    if (/\/services\/Soap\//.test(path)) {
      const fault = /<faultstring>[^<]+<\/faultstring>/.test(res.body) || /<(?:\w+:)?exceptionCode>/.test(res.body);
      if (res.statusCode >= 400 && !fault) {
        throw new UnexpectedResponseError(
          res.body.trim()
            ? `${host} answered the SOAP login with HTTP ${res.statusCode} and a body that is not a SOAP fault.`
            : `${host} answered the SOAP login with HTTP ${res.statusCode} and an empty body.`,
          res.body.trim() ? 'UNPARSEABLE_RESPONSE' : 'EMPTY_RESPONSE',
          res.statusCode,
          ct,
        );
      }
      if (res.statusCode < 300 && !/<(?:\w+:)?loginResponse[\s>]/.test(res.body)) {
        throw new UnexpectedResponseError(
          res.body.trim()
            ? `${host} answered the SOAP login with HTTP ${res.statusCode} but no LoginResult: this is not a Salesforce answer.`
            : `${host} answered the SOAP login with an empty body (HTTP ${res.statusCode}).`,
          res.body.trim() ? 'UNPARSEABLE_RESPONSE' : 'EMPTY_RESPONSE',
          res.statusCode,
          ct,
        );
      }
    } else if (/\/services\/oauth2\/token$/.test(path)) {
      let json: unknown;
      try {
        json = JSON.parse(res.body);
      } catch {
        json = undefined;
      }
      const ok = json && typeof json === 'object' && (res.statusCode >= 400 ? 'error' in json : 'access_token' in json);
      if (!ok) {
        throw new UnexpectedResponseError(
          res.body.trim()
            ? `${host} answered the OAuth token request with HTTP ${res.statusCode} and a body that is not Salesforce OAuth JSON.`
            : `${host} answered the OAuth token request with an empty body (HTTP ${res.statusCode}).`,
          res.body.trim() ? 'UNPARSEABLE_RESPONSE' : 'EMPTY_RESPONSE',
          res.statusCode,
          ct,
        );
      }
    }
  }

  private once(req: TransportRequest): Promise<TransportResponse> {
    const { signal, deadline, log } = this.opts;
    return new Promise<TransportResponse>((resolve, reject) => {
      let url: URL;
      try {
        url = new URL(req.url);
      } catch {
        reject(new Error(`invalid request URL`));
        return;
      }
      if (signal?.aborted) {
        reject(abortError());
        return;
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        reject(timeoutError(url.host));
        return;
      }
      let settled = false;
      let clientReq: http.ClientRequest | undefined;
      const sockets: Array<net.Socket> = [];
      const finish = (err: Error | undefined, res?: TransportResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) {
          clientReq?.destroy();
          for (const s of sockets) s.destroy();
          reject(err);
        } else resolve(res!);
      };
      const onAbort = () => finish(abortError());
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => finish(timeoutError(url.host)), remaining);

      const method = req.method.toUpperCase();
      const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = String(v);
      headers['host'] = url.host;
      headers['accept-encoding'] = 'identity';
      headers['user-agent'] ??= 'token-relay-salesforce';
      if (body) headers['content-length'] = String(body.length);
      else delete headers['content-length'];
      headers['connection'] = 'close';

      const strictSSL = this.opts.proxy?.strictSSL !== false;
      const port = url.port || (url.protocol === 'https:' ? '443' : '80');
      const proxyUrl = this.opts.proxy?.url && !bypassesProxy(url.hostname, port, this.opts.proxy.noProxy) ? this.opts.proxy.url : undefined;

      const onResponse = (res: http.IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY_BYTES) {
            finish(new UnexpectedResponseError(`${url.host} sent a response larger than ${MAX_BODY_BYTES} bytes.`, 'UNPARSEABLE_RESPONSE', res.statusCode ?? 0));
            return;
          }
          chunks.push(c);
        });
        res.on('error', (e) => finish(e));
        res.on('aborted', () => finish(Object.assign(new Error('The connection was reset while reading the answer'), { code: 'ECONNRESET' })));
        res.on('end', () => {
          const hdrs: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) hdrs[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
          finish(undefined, { statusCode: res.statusCode ?? 0, headers: hdrs, body: Buffer.concat(chunks).toString('utf8') });
        });
      };

      const start = (createConnection?: () => net.Socket, viaProxyPath?: string) => {
        const isHttps = url.protocol === 'https:' && !createConnection && !viaProxyPath;
        const common: http.RequestOptions & tls.ConnectionOptions = {
          method,
          headers,
          path: viaProxyPath ?? url.pathname + url.search,
          agent: false,
        };
        if (createConnection) {
          // No agent: Node then uses createConnection (with `agent: false` it would ignore it).
          const { agent: _agent, ...noAgent } = common;
          clientReq = http.request({ ...noAgent, createConnection: createConnection as never });
        } else if (viaProxyPath) {
          const p = new URL(proxyUrl!);
          const auth = proxyAuth(p);
          if (auth) headers['proxy-authorization'] = auth;
          const mod = p.protocol === 'https:' ? https : http;
          clientReq = mod.request({ ...common, host: p.hostname.replace(/^\[|\]$/g, ''), port: p.port || (p.protocol === 'https:' ? 443 : 80), rejectUnauthorized: strictSSL });
        } else if (isHttps) {
          clientReq = https.request({
            ...common,
            host: url.hostname.replace(/^\[|\]$/g, ''),
            port,
            servername: net.isIP(url.hostname) ? undefined : url.hostname,
            rejectUnauthorized: strictSSL,
            ca: this.caList(),
          });
        } else {
          clientReq = http.request({ ...common, host: url.hostname.replace(/^\[|\]$/g, ''), port });
        }
        clientReq.on('socket', (s) => sockets.push(s));
        clientReq.on('response', onResponse);
        clientReq.on('error', (e) => finish(e));
        if (body) clientReq.end(body);
        else clientReq.end();
      };

      if (!proxyUrl) {
        log?.trace(`${method} ${url.origin}${url.pathname}`);
        start();
      } else if (url.protocol === 'http:') {
        log?.trace(`${method} ${url.origin}${url.pathname} via proxy ${safeHost(proxyUrl)}`);
        start(undefined, url.toString());
      } else {
        log?.trace(`${method} ${url.origin}${url.pathname} via CONNECT proxy ${safeHost(proxyUrl)}`);
        this.tunnel(proxyUrl, url.hostname.replace(/^\[|\]$/g, ''), Number(port), strictSSL, sockets).then(
          (tlsSocket) => {
            if (settled) {
              tlsSocket.destroy();
              return;
            }
            start(() => tlsSocket);
          },
          (e) => finish(e),
        );
      }
    });
  }

  private caList(): Array<string | Buffer> | undefined {
    const extra = this.opts.ca;
    if (!extra) return undefined; // Node's default store (includes NODE_EXTRA_CA_CERTS)
    return [...tls.rootCertificates, ...(Array.isArray(extra) ? extra : [extra])];
  }

  /** Opens a CONNECT tunnel through the proxy and starts TLS to the target inside it. */
  private tunnel(proxyUrl: string, host: string, port: number, strictSSL: boolean, sockets: net.Socket[]): Promise<tls.TLSSocket> {
    return new Promise((resolve, reject) => {
      let p: URL;
      try {
        p = new URL(proxyUrl);
      } catch {
        reject(Object.assign(new Error('The proxy URL is not valid'), { code: 'PROXY_CONNECT_FAILED' }));
        return;
      }
      const headers: Record<string, string> = { host: `${host}:${port}` };
      const auth = proxyAuth(p);
      if (auth) headers['proxy-authorization'] = auth;
      const mod = p.protocol === 'https:' ? https : http;
      const creq = mod.request({
        method: 'CONNECT',
        host: p.hostname.replace(/^\[|\]$/g, ''),
        port: p.port || (p.protocol === 'https:' ? 443 : 80),
        path: `${net.isIPv6(host) ? `[${host}]` : host}:${port}`,
        headers,
        agent: false,
        rejectUnauthorized: strictSSL,
      });
      creq.on('socket', (s) => sockets.push(s));
      creq.on('connect', (res, socket) => {
        if (res.statusCode !== 200) {
          socket.destroy();
          reject(Object.assign(new Error(`The proxy refused the tunnel (HTTP ${res.statusCode})`), { code: 'PROXY_CONNECT_FAILED' }));
          return;
        }
        const t = tls.connect({
          socket,
          servername: net.isIP(host) ? undefined : host,
          rejectUnauthorized: strictSSL,
          ca: this.caList(),
        });
        sockets.push(t);
        t.once('secureConnect', () => resolve(t));
        t.once('error', reject);
      });
      creq.on('error', reject);
      creq.end();
    });
  }
}

function proxyAuth(p: URL): string | undefined {
  if (!p.username && !p.password) return undefined;
  const cred = `${decodeURIComponent(p.username)}:${decodeURIComponent(p.password)}`;
  registerSecret(cred);
  const value = 'Basic ' + Buffer.from(cred).toString('base64');
  registerSecret(value);
  return value;
}

function safeHost(u: string): string {
  try {
    return new URL(u).host;
  } catch {
    return 'the server';
  }
}

function safePath(u: string): string {
  try {
    return new URL(u).pathname;
  } catch {
    return '';
  }
}

