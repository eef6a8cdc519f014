/**
 * Reading a large mail by part (issue 15 item 6). A mail over the download cap (maxMessageBytes) is not cut to a
 * byte prefix any more: its BODYSTRUCTURE names the text parts (text/plain, then text/html, not attachments, not
 * inside an attached message), and only the header, those parts' MIME headers and their bodies are downloaded
 * (partial FETCHes: the cap stays a cap on what we download). The pieces are put back together as one small
 * multipart/mixed mail that parseAndClassify reads like any other: a token on the text part's last line before a
 * 20 MB attachment is found, and no part loses its last line. A text part that does not fit the budget is cut at
 * its last complete line (so only that part, not every part, loses its end).
 *
 * Pure: plans and assembles buffers; the FETCHes are in watch.ts.
 */
import { randomBytes } from 'node:crypto';
import type { MessageStructureObject } from 'imapflow';

/** At most this many text parts are downloaded (a mail with hundreds of tiny text parts is no token mail). */
export const MAX_TEXT_PARTS = 16;
/** Header block budget: at most a quarter of the cap, and never more than this. */
export const MAX_HEADER_BYTES = 256 * 1024;
/** One part's MIME header block. */
export const MAX_MIME_HEADER_BYTES = 4 * 1024;
/** A plan leaves at least this much for the text parts' bodies, else the prefix read is used. */
const MIN_BODY_BUDGET = 1024;

export interface PlannedPart {
  /** IMAP part number, e.g. "1.1". */
  part: string;
  /** "text/plain" | "text/html" */
  type: string;
  /** The size BODYSTRUCTURE declares (encoded octets). */
  size: number;
  /** How many of its bytes are fetched (≤ size). */
  take: number;
  charset?: string;
  encoding?: string;
}

export interface TextPartPlan {
  headerBytes: number;
  mimeBytes: number;
  parts: PlannedPart[];
  /** Parts not downloaded: attachments, non-text parts, text parts over MAX_TEXT_PARTS or past the budget. */
  skipped: number;
  /** imapflow `bodyParts` query: HEADER, then each part's MIME header and body, all partial. */
  query: Array<{ key: string; start?: number; maxLength?: number }>;
}

/**
 * Which parts of a large mail to download within `maxBytes` (header + MIME headers + bodies). Undefined when the
 * structure gives nothing better than a prefix read: not multipart, no text part, or a cap too small to plan in.
 */
export function planTextParts(
  structure: MessageStructureObject | undefined,
  maxBytes: number,
): TextPartPlan | undefined {
  if (!structure || !lower(structure.type).startsWith('multipart/')) return undefined;
  const text: MessageStructureObject[] = [];
  let skipped = 0;
  const walk = (node: MessageStructureObject, depth: number) => {
    const type = lower(node.type);
    if (type.startsWith('multipart/')) {
      if (depth > 20) return;
      for (const c of node.childNodes ?? []) walk(c, depth + 1);
      return;
    }
    const attachment = lower(node.disposition) === 'attachment';
    if (
      !attachment &&
      (type === 'text/plain' || type === 'text/html') &&
      typeof node.part === 'string' &&
      /^\d+(\.\d+)*$/.test(node.part)
    )
      text.push(node);
    else skipped++;
  };
  walk(structure, 0);
  if (!text.length) return undefined;
  // Text parts first: every text/plain part (document order), then every text/html part.
  const ordered = [
    ...text.filter((n) => lower(n.type) === 'text/plain'),
    ...text.filter((n) => lower(n.type) === 'text/html'),
  ];
  const chosen = ordered.slice(0, MAX_TEXT_PARTS);
  skipped += ordered.length - chosen.length;
  const headerBytes = Math.min(MAX_HEADER_BYTES, Math.floor(maxBytes / 4));
  let budget = maxBytes - headerBytes - chosen.length * MAX_MIME_HEADER_BYTES;
  if (budget < MIN_BODY_BUDGET) return undefined;
  const parts: PlannedPart[] = [];
  for (const n of chosen) {
    const size = Math.max(0, Math.floor(Number(n.size) || 0));
    if (budget <= 0) {
      skipped++;
      continue;
    }
    // A part that declares no size (or 0) still gets what is left: the declared size only plans, the partial
    // FETCH bounds.
    const take = size > 0 ? Math.min(size, budget) : budget;
    budget -= take;
    parts.push({
      part: n.part!,
      type: lower(n.type),
      size,
      take,
      charset: n.parameters?.charset,
      encoding: n.encoding,
    });
  }
  const query: TextPartPlan['query'] = [{ key: 'HEADER', maxLength: headerBytes }];
  for (const p of parts)
    query.push(
      { key: `${p.part}.MIME`, maxLength: MAX_MIME_HEADER_BYTES },
      { key: p.part, maxLength: Math.max(1, p.take) },
    );
  return { headerBytes, mimeBytes: MAX_MIME_HEADER_BYTES, parts, skipped, query };
}

export interface AssembledMail {
  source: Buffer;
  /** A text part was longer than the budget: cut at its last complete line. */
  cut: boolean;
  /** Parts not downloaded (see TextPartPlan.skipped). */
  skipped: number;
}

/**
 * One multipart/mixed mail from the downloaded pieces: the original header (without its Content-Type and
 * Content-Transfer-Encoding), then each text part with its own MIME header. Undefined when the header is missing.
 * `parts`: imapflow's bodyParts map (keys lower case: "1.1", "1.1.mime").
 */
export function assembleTextParts(
  header: Buffer | undefined,
  parts: Map<string, Buffer> | undefined,
  plan: TextPartPlan,
): AssembledMail | undefined {
  if (!header || !header.length) return undefined;
  const got = new Map<string, Buffer>();
  for (const [k, v] of parts ?? []) got.set(k.toLowerCase(), v);
  let cut = false;
  const pieces: Array<{ mime: Buffer; body: Buffer }> = [];
  for (const p of plan.parts) {
    let body = got.get(p.part.toLowerCase());
    if (!body) continue;
    const cutByBudget = p.size > 0 ? p.take < p.size && body.length >= p.take : body.length >= p.take;
    if (cutByBudget) {
      // Cut by the budget: drop the partial last line (an encoded line cut in half decodes to garbage).
      const nl = body.lastIndexOf(0x0a);
      body = nl >= 0 ? body.subarray(0, nl + 1) : Buffer.alloc(0);
      cut = true;
    }
    let mime = got.get(`${p.part.toLowerCase()}.mime`);
    if (!mime || !endsWithBlankLine(mime)) {
      // No (or a cut) MIME header: say what BODYSTRUCTURE said.
      const charset = p.charset && /^[\w.:-]{1,64}$/.test(p.charset) ? `; charset="${p.charset}"` : '';
      const enc = p.encoding && /^[\w-]{1,32}$/.test(p.encoding) ? `Content-Transfer-Encoding: ${p.encoding}\r\n` : '';
      mime = Buffer.from(`Content-Type: ${p.type}${charset}\r\n${enc}\r\n`, 'latin1');
    }
    pieces.push({ mime, body });
  }
  if (!pieces.length) return undefined;
  const boundary = pickBoundary(pieces);
  const out: Buffer[] = [topHeader(header, boundary)];
  for (const { mime, body } of pieces) {
    out.push(Buffer.from(`--${boundary}\r\n`, 'latin1'), mime, body, Buffer.from('\r\n', 'latin1'));
  }
  out.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return { source: Buffer.concat(out), cut, skipped: plan.skipped };
}

function lower(s: unknown): string {
  return typeof s === 'string' ? s.toLowerCase() : '';
}

function endsWithBlankLine(b: Buffer): boolean {
  const s = b.subarray(Math.max(0, b.length - 4)).toString('latin1');
  return s.endsWith('\r\n\r\n') || s.endsWith('\n\n');
}

function pickBoundary(pieces: Array<{ mime: Buffer; body: Buffer }>): string {
  for (;;) {
    const b = `=_token-relay-parts_${randomBytes(12).toString('hex')}`;
    if (!pieces.some((p) => p.body.includes(b) || p.mime.includes(b))) return b;
  }
}

/** The original header block without Content-Type / Content-Transfer-Encoding, plus ours. Cut headers end at their last full line. */
function topHeader(header: Buffer, boundary: string): Buffer {
  let text = header.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  if (end >= 0) text = text.slice(0, end);
  else {
    const nl = text.lastIndexOf('\n');
    text = nl >= 0 ? text.slice(0, nl) : '';
  }
  const lines = text.split(/\r?\n/);
  const kept: string[] = [];
  let dropping = false;
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      if (!dropping) kept.push(line);
      continue;
    }
    dropping = /^(content-type|content-transfer-encoding)\s*:/i.test(line);
    if (!dropping && line.length) kept.push(line);
  }
  if (!kept.some((l) => /^mime-version\s*:/i.test(l))) kept.push('MIME-Version: 1.0');
  kept.push(`Content-Type: multipart/mixed; boundary="${boundary}"`);
  return Buffer.from(`${kept.join('\r\n')}\r\n\r\n`, 'latin1');
}
