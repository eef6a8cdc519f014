/**
 * The HTTP(S) server: reads the request, finds its route (./routes.ts), answers 405 for a method the route does
 * not take, applies the global ('*') transport fault to API routes, and turns a handler error into a 500.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { TRANSPORT_FAULTS, transportFault } from './faults';
import { send, type RequestContext, type Route } from './http';
import { notFoundPage } from './resetPage';
import { ROUTES } from './routes';
import type { EmulatorState } from './state';

function matchRoute(route: Route, url: URL): RegExpExecArray | null | false {
  const p = route.path;
  if (typeof p === 'string') return url.pathname === p ? null : false;
  if (p instanceof RegExp) return p.exec(url.pathname) ?? false;
  return p(url) ? null : false;
}

async function handle(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse): Promise<unknown> {
  state.stats.requests++;
  // `//services/data` (the sf CLI after an access-token login) is a path, not a host: collapse leading slashes.
  const url = new URL((req.url ?? '/').replace(/^\/{2,}/, '/'), state.base);
  const method = (req.method ?? 'GET').toUpperCase();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1_000_000) {
      send(res, 413, 'text/plain', 'Request too large');
      return;
    }
    chunks.push(c as Buffer);
  }
  const ctx: RequestContext = {
    state,
    req,
    res,
    url,
    method,
    path: url.pathname,
    body: Buffer.concat(chunks).toString('utf8'),
  };
  for (const route of ROUTES) {
    const m = matchRoute(route, url);
    if (m === false) continue;
    if (route.methods && !route.methods.includes(method)) return send(res, 405, 'text/plain', 'Method Not Allowed');
    if (route.api) {
      const g = state.faults.get('*');
      if (g && TRANSPORT_FAULTS.has(g.fault) && (await transportFault(state, g.fault, req, res))) return;
    }
    return route.handle(ctx, m);
  }
  return notFoundPage(res, ctx.path);
}

/** Creates the server (https with cfg.tls) and tracks its sockets so close() can cut them. */
export function createEmulatorServer(state: EmulatorState): http.Server {
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(state, req, res).catch((e) => {
      state.log(`emulator: handler error: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent && !res.destroyed) send(res, 500, 'text/plain', 'emulator error');
    });
  };
  const tls = state.cfg.tls;
  const server: http.Server = tls
    ? https.createServer({ key: tls.key, cert: tls.cert }, listener)
    : http.createServer(listener);
  server.on('connection', (s: Socket) => {
    state.sockets.add(s);
    s.on('close', () => state.sockets.delete(s));
  });
  return server;
}
