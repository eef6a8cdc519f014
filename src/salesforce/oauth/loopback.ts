/**
 * The loopback listener of the OAuth web-server flow: `http://localhost:<port>/OauthRedirect` on 127.0.0.1 and
 * ::1 only (never another interface), for one sign-in.
 *
 * - The redirect's `state` is checked (parseRedirect): another state, a denial or an OAuth error ends the wait with
 *   that OAuthError; the page the browser shows says what happened and never shows the code.
 * - Only GET /OauthRedirect with a Host of localhost / 127.0.0.1 / [::1] is answered (a page of another site that
 *   points the browser here through DNS rebinding gets 421); anything else 404.
 * - The port taken by another program (EADDRINUSE on either address) → OAuthError 'port-busy' (the caller falls
 *   back to "paste the URL you landed on"). An address family the host lacks (no IPv6) is skipped.
 * - `code` rejects with OAuthError 'timeout' after timeoutMs, an AbortError when `signal` aborts, and an AbortError
 *   when close() is called first; close() is idempotent and drops open connections.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { abortError } from '../../core/async';
import { xmlEscape as escapeHtml } from '../../core/xml';
import { CALLBACK_PATH, OAuthError, isOAuthError, parseRedirect, redirectUriFor } from '../../core/oauth';

export interface CallbackListener {
  /** `http://localhost:<port>/OauthRedirect` (the actual port when 0 was asked). */
  redirectUri: string;
  port: number;
  /** The authorization code, once the browser lands (state checked). */
  code: Promise<string>;
  close(): void;
}

const ALLOWED_HOSTS = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/i;

function page(title: string, text: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif;margin:3em"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`;
}

function listenOn(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => {
      server.off('listening', onListening);
      reject(e);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port, host, exclusive: true });
  });
}

function portBusy(port: number): OAuthError {
  return new OAuthError(
    'port-busy',
    `Port ${port} on this machine is taken by another program, so the browser cannot hand the sign-in back here. Close that program, pick another callback port your External Client App lists, or paste the address the browser lands on.`,
    'PORT_BUSY',
  );
}

/**
 * Starts listening (resolves once both addresses are bound). Rejects with OAuthError 'port-busy' when the port is
 * taken, or the listen error otherwise (EACCES for a privileged port).
 */
export async function listenForCallback(o: {
  port: number;
  state: string;
  timeoutMs: number;
  signal?: AbortSignal;
}): Promise<CallbackListener> {
  if (o.signal?.aborted) throw abortError(o.signal);
  let settle: { resolve(code: string): void; reject(e: Error): void } | undefined;
  const code = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  code.catch(() => undefined); // the caller may never look (the paste path won)
  let done = false;
  const servers: http.Server[] = [];
  const timers: { wait?: NodeJS.Timeout } = {};

  let stopped = false;
  /** Stops listening; `force` also drops open connections (else an answer being sent finishes first). */
  const stop = (force: boolean): void => {
    if (!stopped) {
      stopped = true;
      clearTimeout(timers.wait);
      o.signal?.removeEventListener('abort', onAbort);
      for (const s of servers) s.close();
    }
    if (force) for (const s of servers) s.closeAllConnections();
  };
  const finish = (result: string | Error): void => {
    if (done) return;
    done = true;
    if (typeof result === 'string') settle!.resolve(result);
    else settle!.reject(result);
    stop(false);
  };
  const close = (): void => {
    finish(abortError(undefined, { cancelled: 'The sign-in listener was closed.' }));
    stop(true);
  };
  const onAbort = (): void => finish(abortError(o.signal));

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const send = (status: number, title: string, text: string): void => {
      res.writeHead(status, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
        'referrer-policy': 'no-referrer',
        connection: 'close',
      });
      res.end(page(title, text));
    };
    if (!ALLOWED_HOSTS.test(req.headers.host ?? ''))
      return send(421, 'Wrong host', 'This address only answers as localhost.');
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== CALLBACK_PATH) return send(404, 'Not found', 'Nothing here.');
    if (done) return send(410, 'Sign-in already handled', 'This sign-in is over. You can close this tab.');
    try {
      const { code: c } = parseRedirect(req.url ?? '', o.state);
      send(200, 'Signed in', 'Signed in to Salesforce. You can close this tab and return to Token Relay.');
      finish(c);
    } catch (e) {
      const err = isOAuthError(e) ? e : new OAuthError('bad-url', 'The sign-in answer could not be read.');
      const title =
        err.kind === 'denied'
          ? 'Sign-in denied'
          : err.kind === 'state-mismatch'
            ? 'Not this sign-in'
            : 'Sign-in failed';
      send(400, title, `${err.message} You can close this tab.`);
      finish(err);
    }
  };

  const hosts: Array<{ host: string; required: boolean }> = [
    { host: '127.0.0.1', required: true },
    { host: '::1', required: false },
  ];
  let port = o.port;
  try {
    for (const { host, required } of hosts) {
      const server = http.createServer(handler);
      server.keepAliveTimeout = 1000;
      try {
        port = await listenOn(server, port, host);
        servers.push(server);
      } catch (e) {
        const c = (e as NodeJS.ErrnoException).code;
        if (c === 'EADDRINUSE') throw portBusy(port);
        if (!required && (c === 'EADDRNOTAVAIL' || c === 'EAFNOSUPPORT' || c === 'EINVAL')) continue;
        throw e;
      }
    }
  } catch (e) {
    done = true;
    stop(true);
    throw e;
  }
  for (const s of servers) s.unref();
  // The wait itself keeps the process alive (the servers are unref'd so that a forgotten close() cannot hang it).
  timers.wait = setTimeout(
    () =>
      finish(
        new OAuthError('timeout', `No sign-in came back within ${Math.round(o.timeoutMs / 1000)} s.`, 'SIGNIN_TIMEOUT'),
      ),
    Math.max(1, o.timeoutMs),
  );
  o.signal?.addEventListener('abort', onAbort, { once: true });
  return { redirectUri: redirectUriFor(port), port, code, close };
}
