/**
 * Hostile faults (issue 15): answers a client must survive within its deadline and memory, and answers that try to
 * take the session out of the org. Transport faults (./faults.ts TRANSPORT_FAULTS): set them per user or on '*'.
 *
 * Bodies (the login request, SOAP or OAuth token, gets them instead of an answer):
 *   'huge-body'      HTTP 200 text/xml, chunked (no Content-Length), 1.1 MB of `<sessionId ` (the shape that took
 *                    ~90 s to parse before the fix), after a loginResponse start tag
 *   'deep-nesting'   HTTP 200, a LoginResult-looking body just under 256 KB of nested start tags, no session
 *   'userinfo-repeat' HTTP 200, ~250 KB of `<userInfo>` repeated inside a loginResponse, no session
 *   'drip'           HTTP 200 text/xml, then one byte every 100 ms, never ending
 * Session URLs (the login succeeds; its answer names another place for the session):
 *   'server-url-http'    serverUrl / instance_url / id on http://evil.test:<port> (plain http, not loopback)
 *   'server-url-foreign' the same on https://evil.test:<port> (another host, not Salesforce's)
 *   'server-url-alias'   the same on http://localhost:<port>: this emulator under another host name, so a client that
 *                        used it would work (and be reported ok) with the session on a host the login never named
 * Redirects (GETs of API routes; the login itself is answered normally):
 *   'redirect-foreign'   302 to the same path on the alias host (http://localhost:<port>, another origin)
 *   'redirect-http'      302 to the same path on http://evil.test:<port> (plain http, not loopback)
 *   'redirect-downgrade' 302 to the same path on http:// of this host (an https emulator: a downgrade)
 * A request that reaches the alias host with an Authorization header is logged (cfg.log) as
 * `emulator: hostile: credentials on the alias host localhost:<port> (<METHOD> <path>)`: tests read that line.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { EmulatorState } from './state';
import type { EmulatorFault, HostileFault } from './types';

export const HOSTILE_FAULTS: ReadonlySet<EmulatorFault> = new Set<HostileFault>([
  'huge-body',
  'deep-nesting',
  'userinfo-repeat',
  'drip',
  'server-url-http',
  'server-url-foreign',
  'server-url-alias',
  'redirect-foreign',
  'redirect-http',
  'redirect-downgrade',
]);

const LOGIN_PATH = /^\/services\/(?:Soap\/[uc]\/|oauth2\/token$)/;
const ALIAS_HOST = 'localhost';

function port(state: EmulatorState): string {
  return new URL(state.base).port;
}

/** The alias base URL: this emulator under the name `localhost` (another origin than state.base). */
function aliasBase(state: EmulatorState): string {
  const u = new URL(state.base);
  return `${u.protocol}//${ALIAS_HOST}:${u.port}`;
}

function isAliasRequest(req: IncomingMessage): boolean {
  const host = (req.headers.host ?? '').toLowerCase();
  return host === ALIAS_HOST || host.startsWith(`${ALIAS_HOST}:`);
}

/** Where a 'server-url-*' fault moves the session. */
function sessionTarget(state: EmulatorState, fault: HostileFault): string {
  if (fault === 'server-url-http') return `http://evil.test:${port(state)}`;
  if (fault === 'server-url-foreign') return `https://evil.test:${port(state)}`;
  return aliasBase(state);
}

/** Lets the normal handler answer, with every occurrence of the emulator's base URL in its body replaced. */
function rewriteAnswer(res: ServerResponse, from: string, to: string): void {
  const writeHead = res.writeHead.bind(res) as (status: number, headers?: OutgoingHttpHeaders) => ServerResponse;
  const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
  let head: [number, OutgoingHttpHeaders] | undefined;
  res.writeHead = ((status: number, headers?: OutgoingHttpHeaders) => {
    head = [status, headers ?? {}];
    return res;
  }) as typeof res.writeHead;
  res.end = ((chunk?: unknown) => {
    const text = Buffer.isBuffer(chunk) ? chunk.toString('utf8') : typeof chunk === 'string' ? chunk : '';
    const body = Buffer.from(text.split(from).join(to), 'utf8');
    const headers: OutgoingHttpHeaders = { ...(head?.[1] ?? {}) };
    for (const k of Object.keys(headers)) if (k.toLowerCase() === 'content-length') delete headers[k];
    headers['Content-Length'] = String(body.length);
    writeHead(head?.[0] ?? 200, headers);
    return end(body);
  }) as typeof res.end;
}

function sendBody(res: ServerResponse, body: string, chunked: boolean): void {
  if (res.headersSent || res.destroyed) return;
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(
    200,
    chunked
      ? { 'Content-Type': 'text/xml; charset=utf-8' }
      : { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': String(buf.length) },
  );
  // In 64 KB pieces: a chunked answer arrives in many reads, as from a real server.
  for (let i = 0; i < buf.length; i += 65536) res.write(buf.subarray(i, i + 65536));
  res.end();
}

const LOGIN_START =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><loginResponse><result>';

/**
 * Applies a hostile fault; true when the request has been answered (or must be dropped), false when the normal
 * handler answers (possibly rewritten).
 */
export async function hostileFault(
  state: EmulatorState,
  fault: HostileFault,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const url = new URL(req.url ?? '/', state.base);
  const method = (req.method ?? 'GET').toUpperCase();
  if (isAliasRequest(req)) {
    if (req.headers.authorization)
      state.log(`emulator: hostile: credentials on the alias host ${req.headers.host} (${method} ${url.pathname})`);
    return false; // the alias host answers normally (and is never redirected again)
  }
  const login = LOGIN_PATH.test(url.pathname);
  switch (fault) {
    case 'huge-body':
    case 'deep-nesting':
    case 'userinfo-repeat': {
      if (!login) return false;
      const filler = fault === 'huge-body' ? '<sessionId ' : fault === 'deep-nesting' ? '<a>' : '<userInfo>';
      const size = fault === 'huge-body' ? 1_100_000 : 250_000;
      sendBody(res, LOGIN_START + filler.repeat(Math.ceil(size / filler.length)), fault === 'huge-body');
      return true;
    }
    case 'drip': {
      if (!login) return false;
      res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' });
      res.write(LOGIN_START);
      const t = setInterval(() => res.write(' '), 100);
      state.timers.add(t);
      res.on('close', () => {
        clearInterval(t);
        state.timers.delete(t);
      });
      return true;
    }
    case 'server-url-http':
    case 'server-url-foreign':
    case 'server-url-alias':
      if (login) rewriteAnswer(res, state.base, sessionTarget(state, fault));
      return false;
    case 'redirect-foreign':
    case 'redirect-http':
    case 'redirect-downgrade': {
      if (method !== 'GET' || login) return false;
      const base =
        fault === 'redirect-foreign'
          ? aliasBase(state)
          : fault === 'redirect-http'
            ? `http://evil.test:${port(state)}`
            : `http://${new URL(state.base).host}`;
      res.writeHead(302, { Location: `${base}${url.pathname}${url.search}`, 'Content-Length': '0' });
      res.end();
      return true;
    }
  }
}
