/**
 * Tiny MIME writers for the fuzzers and spoofing fixtures: just enough to build realistic
 * Salesforce-style mails (JavaMail boundaries, CRLF, QP/base64 bodies) and hostile variants.
 * src/emulator/mailTemplates.ts has plain variants for the emulator; these differ where hostile
 * layouts need it: a forced QP soft break inside the token, and encoded words even for ASCII text
 * (a display name that only decodes to an address).
 */

export const CRLF = '\r\n';

/** RFC 2045 quoted-printable with soft line breaks at 76 columns (`breakAt` forces one extra soft break). */
export function encodeQP(text: string, breakAt?: number): string {
  const bytes = Buffer.from(text.replace(/\r?\n/g, '\n'), 'utf8');
  const lines: string[] = [];
  let line = '';
  let written = 0;
  const push = (chunk: string) => {
    if (line.length + chunk.length > 75) {
      lines.push(line + '=');
      line = '';
    }
    line += chunk;
  };
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (breakAt !== undefined && written === breakAt && line.length > 0) {
      lines.push(line + '=');
      line = '';
    }
    written++;
    if (b === 0x0a) {
      lines.push(line);
      line = '';
      continue;
    }
    const next = bytes[i + 1];
    const isSpaceAtEol = (b === 0x20 || b === 0x09) && (next === undefined || next === 0x0a);
    if ((b >= 33 && b <= 126 && b !== 61) || ((b === 0x20 || b === 0x09) && !isSpaceAtEol))
      push(String.fromCharCode(b));
    else push('=' + b.toString(16).toUpperCase().padStart(2, '0'));
  }
  lines.push(line);
  return lines.join(CRLF);
}

export function encodeBase64Lines(data: string | Buffer, encoding: BufferEncoding = 'utf8'): string {
  const b64 = (typeof data === 'string' ? Buffer.from(data, encoding) : data).toString('base64');
  return b64.replace(/.{1,76}/g, (m) => m + CRLF).trimEnd();
}

/** RFC 2047 encoded-word (B encoding). */
export function encodedWord(text: string, charset = 'UTF-8'): string {
  return `=?${charset}?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

export function toCrlf(text: string): string {
  return text.replace(/\r?\n/g, CRLF);
}

export type Cte = '7bit' | '8bit' | 'quoted-printable' | 'base64';

export interface Part {
  contentType: string; // e.g. 'text/plain; charset="UTF-8"'
  cte?: Cte;
  body: string; // already decoded text (encoded here according to cte)
  extraHeaders?: string[];
  qpBreakAt?: number;
}

export function renderPart(p: Part): string {
  const cte = p.cte ?? '7bit';
  let body: string;
  if (cte === 'base64') body = encodeBase64Lines(p.body);
  else if (cte === 'quoted-printable') body = encodeQP(p.body, p.qpBreakAt);
  else body = toCrlf(p.body);
  const headers = [`Content-Type: ${p.contentType}`, `Content-Transfer-Encoding: ${cte}`, ...(p.extraHeaders ?? [])];
  return headers.join(CRLF) + CRLF + CRLF + body;
}

/** A JavaMail-style boundary, as Salesforce's MTA writes them. */
export function javamailBoundary(n: number, m: number): string {
  return `----=_Part_${n}_${m}.${1714650112345 + n}`;
}

export function renderMultipart(
  subtype: string,
  boundary: string,
  parts: string[],
): { contentType: string; body: string } {
  const body = parts.map((p) => `--${boundary}${CRLF}${p}${CRLF}`).join('') + `--${boundary}--${CRLF}`;
  return { contentType: `multipart/${subtype}; ${CRLF}\tboundary="${boundary}"`, body };
}

/**
 * Header lines + body -> raw message bytes. Header values may contain folded lines already.
 * Returns byte ranges of named headers so mutators can keep away from them.
 */
export function renderMessage(
  headers: Array<[string, string]>,
  contentType: string,
  cte: Cte | undefined,
  body: string,
): { raw: Buffer; ranges: Record<string, Array<[number, number]>> } {
  const lines: string[] = [];
  const ranges: Record<string, Array<[number, number]>> = {};
  let offset = 0;
  const add = (name: string, line: string) => {
    const text = line + CRLF;
    const len = Buffer.byteLength(text, 'utf8');
    (ranges[name.toLowerCase()] ??= []).push([offset, offset + len]);
    offset += len;
    lines.push(text);
  };
  for (const [name, value] of headers) add(name, `${name}: ${value}`);
  add('content-type', `Content-Type: ${contentType}`);
  if (cte) add('content-transfer-encoding', `Content-Transfer-Encoding: ${cte}`);
  add('mime-version', 'MIME-Version: 1.0');
  const head = lines.join('') + CRLF;
  ranges['separator'] = [[offset, offset + 2]];
  return { raw: Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from(body, 'utf8')]), ranges };
}
