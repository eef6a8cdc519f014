/** The keep-alive agents of direct (unproxied) requests of the login transport (./transport.ts). */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';

/** Extra trusted CAs (PEM), besides Node's store and NODE_EXTRA_CA_CERTS (TransportOptions.ca). */
export type ExtraCa = string | Buffer | Array<string | Buffer>;

/**
 * Keep-alive agents for direct requests (no proxy).
 *
 * Why: a fresh TCP (+TLS) connection per request (the transport used to send `Connection: close`) was the
 * largest client-side cost of a login on a fast network, and one health check makes up to four requests to the
 * same host (login, then identity/query/limits on the org's My Domain host). Design:
 *  - module-level, so every Connection (one per testLogin) shares them; nothing about a login is cached, only
 *    open sockets (and, for https, Node's TLS session cache);
 *  - a small, short-lived pool: at most MAX_FREE_SOCKETS idle sockets per host:port, closed after
 *    IDLE_SOCKET_MS idle (earlier when the server's `Keep-Alive: timeout=N` hint asks for it: Node's agent
 *    keeps 1 s below it), and unref'd, so an idle socket never keeps the CLI or a test process alive;
 *  - Node keys https sockets by host, port, servername and rejectUnauthorized; an extra CA set gets its own
 *    agent (its secure context is built once), so a socket verified under one trust setting is never reused
 *    under another;
 *  - a server may close an idle socket just as we reuse it: that request is sent again (see `once()`), so a
 *    stale socket never becomes a spurious "connection reset" health state.
 * Proxied requests (CONNECT tunnels, absolute-URI requests) keep one connection per request.
 */
// The agent's `timeout` closes pooled sockets only: a request that waits longer for its answer is not cut
// (Node just emits 'timeout' on it, which nobody listens to); the transport's own deadline governs those.
const IDLE_SOCKET_MS = 4_000;
const MAX_FREE_SOCKETS = 2;
/** How often a request whose reused socket turned out to be closed is sent again (on another socket). */
export const MAX_STALE_RETRIES = MAX_FREE_SOCKETS + 1;
export const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

const agentOptions = {
  keepAlive: true,
  maxFreeSockets: MAX_FREE_SOCKETS,
  timeout: IDLE_SOCKET_MS,
  scheduling: 'lifo' as const,
};
let httpAgent: http.Agent | undefined;
let httpsAgent: https.Agent | undefined;
/** Agents with an extra CA set, by a hash of the PEM text; a handful at most (one per configured CA file). */
const caAgents = new Map<string, { agent: https.Agent; secureContext: tls.SecureContext }>();
const MAX_CA_AGENTS = 8;

export function directAgent(
  protocol: string,
  ca: ExtraCa | undefined,
): { agent: http.Agent; secureContext?: tls.SecureContext } {
  if (protocol !== 'https:') return { agent: (httpAgent ??= new http.Agent(agentOptions)) };
  if (!ca) return { agent: (httpsAgent ??= new https.Agent(agentOptions)) };
  const extra = Array.isArray(ca) ? ca : [ca];
  const hash = createHash('sha256');
  for (const c of extra) hash.update(c).update('\0');
  const key = hash.digest('base64');
  let entry = caAgents.get(key);
  if (!entry) {
    // Node's store plus the extra CAs (NODE_EXTRA_CA_CERTS is in Node's default store, not in rootCertificates).
    entry = {
      agent: new https.Agent(agentOptions),
      secureContext: tls.createSecureContext({ ca: [...tls.rootCertificates, ...extra] }),
    };
    if (caAgents.size >= MAX_CA_AGENTS) {
      const [oldKey, old] = caAgents.entries().next().value as [string, { agent: https.Agent }];
      old.agent.destroy();
      caAgents.delete(oldKey);
    }
    caAgents.set(key, entry);
  }
  return entry;
}

/** Closes every idle keep-alive socket (tests; an extension's deactivate may call it too). */
export function closeIdleConnections(): void {
  for (const a of [httpAgent, httpsAgent, ...[...caAgents.values()].map((e) => e.agent)]) {
    if (!a) continue;
    for (const list of Object.values(a.freeSockets)) for (const sock of list ?? []) sock.destroy();
  }
}
