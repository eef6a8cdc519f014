/**
 * token-relay watch: wait for the security-token mail over IMAP and print it like `extract` (CONTRACTS.md).
 * The IMAP flag handling it shares with `reset` is in ./mailboxArgs.ts.
 */
import path from 'node:path';
import type { CliIO } from './io';
import { EXIT, UsageError, err, flagString, parseArgs, printJson } from './io';
import { writeEnvFile } from '../envfile';
import { registerSecret, safeErrorMessage } from '../core/redact';
import type { TokenFound } from '../mail';
import { watchForToken } from '../mail';
import { withTokenRenewal } from '../mail/xoauth';
import {
  IMAP_BOOLEAN_FLAGS,
  IMAP_FLAGS_HELP,
  IMAP_VALUE_FLAGS,
  loadEnvVars,
  mailboxFromFlags,
  parseTimeout,
  reportWatchError,
  stderrLogger,
  verificationLine,
  mailTrustFromFlags,
  renewalHint,
} from './mailboxArgs';

export const help = `token-relay watch: wait for the Salesforce security-token mail and print it

Usage: token-relay watch --imap-host H --imap-user U [--imap-port P] [--imap-tls implicit|starttls]
                         [--insecure-tls] [--username SFUSER] [--since ISO] [--timeout S] [--dotenv PATH]

Prints one JSON object on stdout, as \`token-relay extract\`:
  {"kind":"token","token":"…","username":"…","warnings":[],"authenticated":false,"reason":"…",
   "folder":"INBOX","uid":42,"receivedAt":"…"}
Verification codes that arrive meanwhile are printed on stderr, one line each.

Options:
  --username SFUSER      the Salesforce user the token must be for (default: SF_USERNAME from the
                         env file or environment; without either, any user's token counts)
  --since ISO            accept token mails that arrived since then (default: now; 2 min clock slack)
  --timeout S            give up after S seconds (default 600)
  --dotenv PATH          read settings from PATH and write SF_SECURITY_TOKEN there when found
${IMAP_FLAGS_HELP}
Exit: 0 found; 1 timeout or cancelled; 2 usage; 3 mailbox connection, login or TLS failure.
`;

export function tokenJson(t: TokenFound): Record<string, unknown> {
  return {
    kind: t.kind,
    token: t.token,
    ...(t.username !== undefined ? { username: t.username } : {}),
    warnings: t.warnings,
    authenticated: t.authenticated === true,
    reason: t.reason,
    ...(t.sender !== undefined ? { sender: t.sender } : {}),
    ...(t.subject !== undefined ? { subject: t.subject } : {}),
    folder: t.folder,
    uid: t.uid,
    receivedAt: t.receivedAt.toISOString(),
  };
}

/**
 * The caller's signal (Ctrl-C) plus the --timeout, as one signal whose timer we hold. Not
 * `AbortSignal.any([signal, AbortSignal.timeout(ms)])`: on Node 20 a garbage collection can drop the timeout
 * signal that only `any()` refers to, and the watch then never times out (issue 15 item 8).
 * `dispose()` clears the timer and the listener.
 */
export function timeoutSignal(outer: AbortSignal | undefined, ms: number): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onOuter = () => ac.abort(outer?.reason);
  const timer = setTimeout(
    () => ac.abort(new DOMException(`no token mail within ${ms} ms`, 'TimeoutError')),
    Math.min(ms, 2 ** 31 - 1),
  );
  if (outer?.aborted) onOuter();
  else outer?.addEventListener('abort', onOuter, { once: true });
  return {
    signal: ac.signal,
    dispose: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    },
  };
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, { values: IMAP_VALUE_FLAGS, booleans: IMAP_BOOLEAN_FLAGS });
  if (args.positionals.length) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
  const sinceFlag = flagString(args, 'since');
  let since = new Date();
  if (sinceFlag !== undefined) {
    since = new Date(sinceFlag);
    if (!/^\d{4}-\d{2}-\d{2}/.test(sinceFlag) || isNaN(since.getTime()))
      throw new UsageError(`--since needs an ISO date-time, e.g. 2026-05-02T11:40:00Z (got "${sinceFlag}")`);
  }
  const timeoutS = parseTimeout(args);
  const { vars, dotenvPath } = await loadEnvVars(io, flagString(args, 'dotenv'));
  const mailbox = await mailboxFromFlags(args, vars, io);
  const username = flagString(args, 'username')?.trim() || vars.SF_USERNAME?.trim() || undefined;
  const log = stderrLogger(io, args.flags.has('verbose'));

  let found: TokenFound;
  const deadline = timeoutSignal(io.signal, Math.round(timeoutS * 1000));
  try {
    const trust = mailTrustFromFlags(args);
    found = await withTokenRenewal(
      mailbox,
      () =>
        watchForToken({
          mailbox,
          since,
          username,
          signal: deadline.signal,
          log,
          ...trust,
          onVerificationCode: (v) => err(io, verificationLine(v)),
        }),
      { signal: deadline.signal, log, hint: renewalHint(mailbox) },
    );
  } catch (e) {
    return reportWatchError(io, 'watch', e);
  } finally {
    deadline.dispose();
  }
  registerSecret(found.token);
  if (dotenvPath) {
    try {
      const res = await writeEnvFile(dotenvPath, { SF_SECURITY_TOKEN: found.token });
      for (const w of res.warnings) err(io, `token-relay watch: warning: ${w}`);
      err(
        io,
        `token-relay watch: ${res.changed.length ? 'wrote' : 'kept'} SF_SECURITY_TOKEN in ${path.relative(io.cwd, res.path) || res.path}`,
      );
    } catch (e) {
      printJson(io, tokenJson(found));
      err(io, `token-relay watch: the token was found but ${dotenvPath} could not be written: ${safeErrorMessage(e)}`);
      return EXIT.usage;
    }
  }
  printJson(io, tokenJson(found));
  return EXIT.ok;
}
