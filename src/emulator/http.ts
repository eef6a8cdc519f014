/** What every route file shares: the request context, the route shape, and the answer helpers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorState } from './state';

export interface RequestContext {
  state: EmulatorState;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Upper case. */
  method: string;
  path: string;
  /** The whole request body (utf8; at most 1 MB). */
  body: string;
}

/**
 * One entry of the route table (./routes.ts). The first route whose `path` matches answers:
 * a string matches the path exactly, a RegExp is exec()'d on it (its groups reach `handle`), a function decides.
 */
export interface Route {
  path: string | RegExp | ((url: URL) => boolean);
  /** Other methods get 405 Method Not Allowed (absent: the handler sees every method). */
  methods?: readonly string[];
  /** An API endpoint: the global ('*') transport fault, if any, applies before `handle` (./dispatch.ts). */
  api?: boolean;
  handle(ctx: RequestContext, match: RegExpExecArray | null): unknown;
}

export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': String(buf.length),
    'Cache-Control': 'no-cache,must-revalidate,max-age=0,no-store,private',
    ...headers,
  });
  res.end(buf);
}
export const sendJson = (res: ServerResponse, status: number, value: unknown) =>
  send(res, status, 'application/json;charset=UTF-8', JSON.stringify(value));
export const sendXml = (res: ServerResponse, status: number, xml: string) =>
  send(res, status, 'text/xml; charset=utf-8', xml);
export const invalidSession = (res: ServerResponse) =>
  sendJson(res, 401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
export const apiNotFound = (res: ServerResponse) =>
  sendJson(res, 404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);

export const htmlEsc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** A Salesforce-looking HTML page (reset page, errors); sent when `res` is given, returned either way. */
export function page(title: string, bodyHtml: string, lang = 'en', status = 200, res?: ServerResponse): string {
  const html = `<!DOCTYPE html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${htmlEsc(title)} ~ Salesforce - Developer Edition</title>
<style>
  body { margin: 0; font-family: -apple-system, "Segoe UI", Arial, sans-serif; background: #f3f2f2; color: #181818; }
  header { background: #032d60; color: #fff; padding: 10px 20px; font-weight: 600; }
  header small { font-weight: 400; opacity: .8; margin-left: 8px; }
  main { max-width: 760px; margin: 24px auto; background: #fff; border: 1px solid #dddbda; border-radius: 4px; padding: 24px; }
  h1 { font-size: 20px; margin-top: 0; }
  .btn { background: #0176d3; color: #fff; border: 1px solid #0176d3; border-radius: 4px; padding: 8px 16px; font-size: 14px; cursor: pointer; }
  .btn:hover { background: #014486; }
  .note { color: #3e3e3c; font-size: 13px; }
  .ok { border-left: 4px solid #2e844a; padding-left: 12px; }
  .err { border-left: 4px solid #ba0517; padding-left: 12px; }
  select, input[type=text] { font-size: 14px; padding: 6px; }
</style>
</head>
<body>
<header>Salesforce <small>Emulator (loopback, for tests and demos)</small></header>
<main>
${bodyHtml}
</main>
</body>
</html>
`;
  if (res) send(res, status, 'text/html; charset=utf-8', html);
  return html;
}
