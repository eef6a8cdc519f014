/**
 * token-relay extract [--username U] [--require-dkim] [--authserv-id ID] [--trust-forwarded] [--forwarded-from ADDR] FILE.eml|-
 * Classifies one mail and prints one JSON object (CONTRACTS.md): exit 0 whatever the kind,
 * 2 on usage errors or unreadable input.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { CliIO } from './io';
import { EXIT, UsageError, err, flagString, parseArgs, printJson } from './io';
import { DEFAULT_MAX_BYTES, parseAndClassify } from '../mail';
import { registerSecret, safeErrorMessage } from '../core/redact';
import { mailTrustFromFlags } from './mailboxArgs';

export const help = `token-relay extract: recognise a Salesforce security-token mail and print what it holds

Usage: token-relay extract [--username U] [--require-dkim] [--authserv-id ID] [--forwarded-from ADDR] FILE.eml
       token-relay extract [--username U] -            (reads the mail from standard input)

Prints one JSON object on stdout:
  {"kind":"token","token":"…","username":"…","warnings":[],"authenticated":false,"reason":"…",…}
kind is one of
  token               a Salesforce token mail (for --username, when given)
  verification-code   an identity-verification mail: "code" and "username"
  other-user          a token mail for another user than --username ("username" says whom)
  untrusted-sender    looks like a token mail, but the sender is not salesforce.com
                      (or it was forwarded, or --require-dkim found no DKIM pass)
  none                anything else ("reason" says why)

Options:
  --username U        the Salesforce username the token must be for (case-insensitive)
  --require-dkim      trust only mails whose receiving server's Authentication-Results header says
                      dkim=pass header.d=salesforce.com; needs --authserv-id here (no IMAP host to
                      default to)
  --authserv-id ID    the receiving server's authserv-id (the first word of its Authentication-Results
                      header, e.g. mx.google.com); only headers with it count; comma-separated for several
  --trust-forwarded   forwarded copies (Fwd: subjects, Resent-* headers, forwarded bodies) are refused;
                      this alone trusts none either: name your forwarding address with --forwarded-from
  --forwarded-from A  trust forwards sent by A (your own address; implies --trust-forwarded)
  --max-bytes N       read at most N bytes of the mail (default ${DEFAULT_MAX_BYTES})

Exit: 0 when the mail was read (whatever its kind), 2 on usage errors or unreadable input.
`;

export async function run(argv: string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, {
    values: ['username', 'max-bytes', 'authserv-id', 'forwarded-from'],
    booleans: ['require-dkim', 'trust-forwarded'],
  });
  if (args.positionals.length === 0) throw new UsageError('give a mail file (FILE.eml, or - for standard input)');
  if (args.positionals.length > 1) throw new UsageError(`one mail file at a time (got ${args.positionals.length})`);
  const username = flagString(args, 'username');
  if (username !== undefined && !username.trim()) throw new UsageError('--username needs a non-empty value');
  const trust = mailTrustFromFlags(args);
  let maxBytes = DEFAULT_MAX_BYTES;
  const mb = flagString(args, 'max-bytes');
  if (mb !== undefined) {
    if (!/^[1-9][0-9]{0,9}$/.test(mb)) throw new UsageError('--max-bytes needs a positive whole number');
    maxBytes = Number(mb);
  }

  const file = args.positionals[0]!;
  let source: Buffer;
  try {
    // maxBytes + 1: one byte more than the cap tells a cut mail from one of exactly maxBytes.
    source = file === '-' ? await io.readStdin(maxBytes + 1) : await readHead(path.resolve(io.cwd, file), maxBytes + 1);
  } catch (e) {
    err(io, `token-relay extract: cannot read ${file === '-' ? 'standard input' : file}: ${describeReadError(e)}`);
    return EXIT.usage;
  }

  const verdict = await parseAndClassify(source, {
    username: username?.trim(),
    ...trust,
    // We hold the whole input (or maxBytes + 1 of it; a test IO may hand over more): one of exactly maxBytes was not cut.
    maxBytes: source.length === maxBytes ? maxBytes + 1 : maxBytes,
  });
  if (verdict.token) registerSecret(verdict.token);
  // Contract order first: kind, token/code/username, warnings, authenticated; then the extras.
  printJson(io, {
    kind: verdict.kind,
    ...(verdict.token !== undefined ? { token: verdict.token } : {}),
    ...(verdict.code !== undefined ? { code: verdict.code } : {}),
    ...(verdict.username !== undefined ? { username: verdict.username } : {}),
    warnings: verdict.warnings,
    authenticated: verdict.authenticated === true,
    reason: verdict.reason,
    ...(verdict.sender !== undefined ? { sender: verdict.sender } : {}),
    ...(verdict.subject !== undefined ? { subject: verdict.subject } : {}),
  });
  return EXIT.ok;
}

/** Reads at most `limit` bytes (a 5 GB file is not loaded whole). */
async function readHead(file: string, limit: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    const chunks: Buffer[] = [];
    let total = 0;
    while (total < limit) {
      const chunk = Buffer.alloc(Math.min(1 << 20, limit - total));
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
    }
    return Buffer.concat(chunks);
  } finally {
    await fh.close();
  }
}

function describeReadError(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory, not a mail file';
    default:
      return safeErrorMessage(e);
  }
}
