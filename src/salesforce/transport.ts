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
 *    become `UnexpectedResponseError` so they classify as `unexpected-response`;
 *  - bounded work whatever a server sends (issue 15): a login answer (SOAP login, OAuth token) is cut at
 *    MAX_LOGIN_BODY_BYTES, any other at MAX_BODY_BYTES (RESPONSE_TOO_LARGE, at once when Content-Length says so),
 *    an XML answer off the SOAP path is refused (jsforce would hand it to xml2js: ~1 s per MB; we never ask the
 *    REST API for XML), and the deadline also covers the parsing done in `onResponse` (a late parse is a
 *    timeout, not a success);
 *  - the session stays with the org: plain http only to loopback hosts (INSECURE_URL), no https→http redirect
 *    (INSECURE_REDIRECT), and a redirect to another origin drops Authorization and Cookie;
 *  - direct connections (no proxy) go through small keep-alive agents (see `directAgent()` in ./agents.ts).
 * Proxy rules live in ./proxy.ts, the agents in ./agents.ts; this file is the relay and the face.
 * Only node: built-ins; the response body never reaches a log line.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { PassThrough } from 'node:stream';
import { UnexpectedResponseError } from '../core/health';
import { isLoopbackHost } from '../core/resetUrl';
import { abortError } from '../core/async';
import { registerSecret } from '../core/redact';
import type { Logger } from '../core/log';
import { MAX_STALE_RETRIES, STALE_SOCKET_CODES, directAgent } from './agents';
import type { ProxyOptions } from './proxy';
import { bypassesProxy, proxyAuth, safeHost } from './proxy';

export type { ProxyOptions } from './proxy';
export { bypassesProxy, proxyFromEnv } from './proxy';
export { closeIdleConnections } from './agents';

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

/** A SOAP login or OAuth token answer is a few KB; anything this large is not Salesforce's (issue 15). */
export const MAX_LOGIN_BODY_BYTES = 256 * 1024;
/** Any other answer (identity, a one-row query, limits: all a few KB to a few tens of KB). */
export const MAX_BODY_BYTES = 512 * 1024;
/** Request headers that carry the user's credentials: dropped when a redirect leaves the origin. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie'];
const MAX_REDIRECTS = 5;

const HTML_START = /^\s*(<!doctype\s+html|<html[\s>])/i;
const HTML_END = /<\/(html|body)>/i;
const SOAP_PATH = /\/services\/Soap\//;
const SOAP_FAULTSTRING = /<faultstring>[^<]+<\/faultstring>/;
const SOAP_EXCEPTION_CODE = /<(?:\w+:)?exceptionCode>/;
const SOAP_LOGIN_RESPONSE = /<(?:\w+:)?loginResponse[\s>]/;
/** The OAuth token endpoint's path (login.ts reads the token answer of the same requests). */
export const OAUTH_TOKEN_PATH = /\/services\/oauth2\/token$/;

/** The body cap of a request to this URL: login answers are small. */
export function maxBodyBytes(url: URL): number {
  return SOAP_PATH.test(url.pathname) || OAUTH_TOKEN_PATH.test(url.pathname) ? MAX_LOGIN_BODY_BYTES : MAX_BODY_BYTES;
}

/** Why a request may not go to `url` at all (the loopback rule), or undefined. */
function insecureUrl(url: URL): string | undefined {
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return `Refusing a request to a ${url.protocol} URL: only https:// (and http:// on loopback) is used.`;
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname))
    return `Refusing to send a request to http://${url.host}: plain http is allowed only for loopback hosts, and this request may carry the session.`;
  return undefined;
}

function tooLarge(host: string, limit: number, statusCode: number): UnexpectedResponseError {
  return new UnexpectedResponseError(
    `${host} sent an answer larger than ${Math.round(limit / 1024)} KB (HTTP ${statusCode}); a Salesforce login answer is a few KB. A proxy or a wrong login URL is the usual cause.`,
    'RESPONSE_TOO_LARGE',
    statusCode,
  );
}

function timeoutError(host: string): Error {
  const e = new Error(`No answer from ${host} in time`);
  (e as NodeJS.ErrnoException).code = 'ETIMEDOUT';
  (e as { host?: string }).host = host;
  return e;
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
    // jsforce's login and REST calls only await the promise; the stream is made when someone asks for it.
    let stream: PassThrough | undefined;
    let done = false;
    const promise = this.send(req, 0).finally(() => {
      done = true;
      stream?.end();
    }) as Promise<TransportResponse> & { stream(): PassThrough };
    promise.stream = () => {
      if (!stream) {
        stream = new PassThrough();
        if (done) stream.end();
      }
      return stream;
    };
    return promise;
  }

  private async send(req: TransportRequest, redirects: number): Promise<TransportResponse> {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      throw new Error(`invalid request URL`);
    }
    const refused = insecureUrl(url);
    if (refused) throw new UnexpectedResponseError(refused, 'INSECURE_URL', 0);
    const res = await this.once(req, url);
    if (res.statusCode >= 300 && res.statusCode < 400 && res.headers['location']) {
      let target: URL;
      try {
        target = new URL(res.headers['location'], url);
      } catch {
        throw new UnexpectedResponseError(
          `${url.host} redirected to a URL that is not valid (HTTP ${res.statusCode}).`,
          'REDIRECT',
          res.statusCode,
          res.headers['content-type'],
        );
      }
      if (req.method.toUpperCase() !== 'GET' || redirects >= MAX_REDIRECTS) {
        throw new UnexpectedResponseError(
          `The server redirected the ${req.method.toUpperCase() === 'GET' ? 'request' : 'login'} to ${target.host} instead of answering (HTTP ${res.statusCode}). A proxy, captive portal or wrong login URL is the usual cause.`,
          'REDIRECT',
          res.statusCode,
          res.headers['content-type'],
        );
      }
      if (url.protocol === 'https:' && target.protocol !== 'https:') {
        throw new UnexpectedResponseError(
          `${url.host} redirected an https request to ${target.protocol}//${target.host}; not followed (the session would go out in clear text).`,
          'INSECURE_REDIRECT',
          res.statusCode,
          res.headers['content-type'],
        );
      }
      const next: TransportRequest = { ...req, url: target.toString() };
      if (target.origin !== url.origin && req.headers) {
        // Another origin gets no credential of ours (as browsers and undici do).
        const headers: Record<string, string | undefined> = {};
        for (const k in req.headers) if (!CREDENTIAL_HEADERS.includes(k.toLowerCase())) headers[k] = req.headers[k];
        next.headers = headers;
        this.opts.log?.debug(`redirect from ${url.origin} to ${target.origin}: followed without credentials`);
      }
      return this.send(next, redirects + 1);
    }
    this.check(url, res);
    this.opts.onResponse?.(req, res);
    // The deadline covers the reading of the answer too: a parse that ran past it is a timeout.
    if (performance.now() > this.opts.deadline) throw timeoutError(url.host);
    return res;
  }

  /** Turns answers that are not Salesforce's into UnexpectedResponseError. */
  private check(url: URL, res: TransportResponse): void {
    const ct = (res.headers['content-type'] ?? '').toLowerCase();
    const head = res.body.length > 4096 ? res.body.slice(0, 4096) : res.body;
    const host = url.host;
    const isHtml = ct.includes('text/html') || HTML_START.test(head) || HTML_END.test(head);
    if (isHtml) {
      throw new UnexpectedResponseError(
        `${host} answered with an HTML page (HTTP ${res.statusCode}) instead of a Salesforce API response. A captive portal, a proxy's login page or a wrong login URL is the usual cause.`,
        'HTML_RESPONSE',
        res.statusCode,
        ct,
      );
    }
    const path = url.pathname;
    if (SOAP_PATH.test(path)) {
      // (The fault test scans the whole body: only an error status needs it.)
      if (res.statusCode >= 400 && !(SOAP_FAULTSTRING.test(res.body) || SOAP_EXCEPTION_CODE.test(res.body))) {
        throw new UnexpectedResponseError(
          res.body.trim()
            ? `${host} answered the SOAP login with HTTP ${res.statusCode} and a body that is not a SOAP fault.`
            : `${host} answered the SOAP login with HTTP ${res.statusCode} and an empty body.`,
          res.body.trim() ? 'UNPARSEABLE_RESPONSE' : 'EMPTY_RESPONSE',
          res.statusCode,
          ct,
        );
      }
      if (res.statusCode < 300 && !SOAP_LOGIN_RESPONSE.test(res.body)) {
        throw new UnexpectedResponseError(
          res.body.trim()
            ? `${host} answered the SOAP login with HTTP ${res.statusCode} but no LoginResult: this is not a Salesforce answer.`
            : `${host} answered the SOAP login with an empty body (HTTP ${res.statusCode}).`,
          res.body.trim() ? 'UNPARSEABLE_RESPONSE' : 'EMPTY_RESPONSE',
          res.statusCode,
          ct,
        );
      }
    } else if (/\bxml\b/.test(ct)) {
      throw new UnexpectedResponseError(
        `${host} answered a REST request with XML (HTTP ${res.statusCode}); Salesforce answers these in JSON.`,
        'UNPARSEABLE_RESPONSE',
        res.statusCode,
        ct,
      );
    } else if (OAUTH_TOKEN_PATH.test(path)) {
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

  private once(req: TransportRequest, url: URL): Promise<TransportResponse> {
    const { signal, deadline, log } = this.opts;
    return new Promise<TransportResponse>((resolve, reject) => {
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
          // Never give a socket in an unknown state back to the keep-alive pool.
          clientReq?.destroy();
          for (const s of sockets) s.destroy();
          reject(err);
        } else resolve(res!);
      };
      const onAbort = () => finish(abortError());
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => finish(timeoutError(url.host)), remaining);

      const method = req.method.toUpperCase();
      const body =
        req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
      const headers: Record<string, string> = {};
      if (req.headers)
        for (const k in req.headers) {
          const v = req.headers[k];
          if (v !== undefined) headers[k.toLowerCase()] = String(v);
        }
      headers['host'] = url.host;
      headers['accept-encoding'] = 'identity';
      headers['user-agent'] ??= 'token-relay-salesforce';
      if (body) headers['content-length'] = String(body.length);
      else delete headers['content-length'];

      const strictSSL = this.opts.proxy?.strictSSL !== false;
      const port = url.port || (url.protocol === 'https:' ? '443' : '80');
      const proxyUrl =
        this.opts.proxy?.url && !bypassesProxy(url.hostname, port, this.opts.proxy.noProxy)
          ? this.opts.proxy.url
          : undefined;
      const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      // Proxied requests keep one connection per request; direct ones use the keep-alive pool.
      if (proxyUrl) headers['connection'] = 'close';

      const limit = maxBodyBytes(url);
      const onResponse = (res: http.IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const declared = Number(res.headers['content-length']);
        if (declared > limit) {
          finish(tooLarge(url.host, limit, res.statusCode ?? 0));
          return;
        }
        res.on('data', (c: Buffer) => {
          if (settled) return;
          size += c.length;
          if (size > limit) {
            finish(tooLarge(url.host, limit, res.statusCode ?? 0));
            return;
          }
          chunks.push(c);
        });
        res.on('error', (e) => finish(e));
        res.on('aborted', () =>
          finish(Object.assign(new Error('The connection was reset while reading the answer'), { code: 'ECONNRESET' })),
        );
        res.on('end', () => {
          const hdrs: Record<string, string> = {};
          const raw = res.headers;
          for (const k in raw) {
            const v = raw[k];
            if (v !== undefined) hdrs[k] = Array.isArray(v) ? v.join(', ') : v; // Node gives lower-case names
          }
          finish(undefined, {
            statusCode: res.statusCode ?? 0,
            headers: hdrs,
            body: (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8'),
          });
        });
      };

      let staleRetries = 0;
      const start = (createConnection?: () => net.Socket, viaProxyPath?: string) => {
        const common: http.RequestOptions & tls.ConnectionOptions = {
          method,
          headers,
          path: viaProxyPath ?? url.pathname + url.search,
        };
        let direct = false;
        if (createConnection) {
          // No agent: Node then uses createConnection (with `agent: false` it would ignore it).
          clientReq = http.request({ ...common, createConnection: createConnection });
        } else if (viaProxyPath) {
          const p = new URL(proxyUrl!);
          const auth = proxyAuth(p);
          if (auth) headers['proxy-authorization'] = auth;
          const mod = p.protocol === 'https:' ? https : http;
          clientReq = mod.request({
            ...common,
            agent: false,
            host: p.hostname.replace(/^\[|\]$/g, ''),
            port: p.port || (p.protocol === 'https:' ? 443 : 80),
            rejectUnauthorized: strictSSL,
          });
        } else if (url.protocol === 'https:') {
          direct = true;
          const { agent, secureContext } = directAgent('https:', this.opts.ca);
          clientReq = https.request({
            ...common,
            agent,
            host: hostname,
            port,
            servername: net.isIP(hostname) ? undefined : hostname,
            rejectUnauthorized: strictSSL,
            ...(secureContext ? { secureContext } : {}),
          });
        } else {
          direct = true;
          clientReq = http.request({ ...common, agent: directAgent('http:', undefined).agent, host: hostname, port });
        }
        const thisReq = clientReq;
        let answered = false;
        thisReq.on('socket', (s) => sockets.push(s));
        thisReq.on('response', (res) => {
          answered = true;
          onResponse(res);
        });
        thisReq.on('error', (e) => {
          // A keep-alive socket the server closed while it sat in the pool fails at once, before any answer
          // byte: the server never read the request, so sending it again (on another socket) is safe.
          const code = (e as NodeJS.ErrnoException).code;
          if (
            direct &&
            !settled &&
            !answered &&
            thisReq.reusedSocket &&
            code &&
            STALE_SOCKET_CODES.has(code) &&
            staleRetries < MAX_STALE_RETRIES
          ) {
            staleRetries++;
            log?.debug(
              `${method} ${url.origin}${url.pathname}: the kept-alive connection was closed by the server (${code}); sending again`,
            );
            thisReq.destroy();
            start();
            return;
          }
          finish(e);
        });
        if (body) thisReq.end(body);
        else thisReq.end();
      };

      if (!proxyUrl) {
        log?.trace(`${method} ${url.origin}${url.pathname}`);
        start();
      } else if (url.protocol === 'http:') {
        log?.trace(`${method} ${url.origin}${url.pathname} via proxy ${safeHost(proxyUrl)}`);
        start(undefined, url.toString());
      } else {
        log?.trace(`${method} ${url.origin}${url.pathname} via CONNECT proxy ${safeHost(proxyUrl)}`);
        this.tunnel(proxyUrl, hostname, Number(port), strictSSL, sockets).then(
          (tlsSocket) => {
            if (settled) {
              tlsSocket.destroy();
              return;
            }
            start(() => tlsSocket);
          },
          (e: Error) => finish(e), // tunnel() rejects with Errors only
        );
      }
    });
  }

  /** Opens a CONNECT tunnel through the proxy and starts TLS to the target inside it. */
  private tunnel(
    proxyUrl: string,
    host: string,
    port: number,
    strictSSL: boolean,
    sockets: net.Socket[],
  ): Promise<tls.TLSSocket> {
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
          reject(
            Object.assign(new Error(`The proxy refused the tunnel (HTTP ${res.statusCode})`), {
              code: 'PROXY_CONNECT_FAILED',
            }),
          );
          return;
        }
        const t = tls.connect({
          socket,
          servername: net.isIP(host) ? undefined : host,
          rejectUnauthorized: strictSSL,
          // Node's default store (includes NODE_EXTRA_CA_CERTS), or the cached context with the extra CAs.
          ...(this.opts.ca ? { secureContext: directAgent('https:', this.opts.ca).secureContext } : {}),
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
