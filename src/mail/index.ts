/**
 * The mail side's face: what src/flow, src/cli, src/extension and bench use. imapflow and mailparser stay
 * behind it (loaded lazily through src/lazy.ts).
 *   watch.ts      watchForToken: catch up, then IDLE/poll until the token mail arrives; watchTokens: every newer one
 *   parts.ts      a large mail read by part (BODYSTRUCTURE → header + text parts within the cap)
 *   probe.ts      testMailbox: connect, open INBOX, report, log out
 *   parse.ts      parseAndClassify: raw source → verdict (mailparser + src/core/tokenMail.ts)
 *   imapClient.ts the one imapflow client factory (TLS, auth, proxy, timeouts)
 *   errors.ts     MailboxError and the mapping of IMAP/TLS/network failures to it
 *   presets.ts    provider presets (host, port, security)
 */
export {
  watchForToken,
  watchTokens,
  DEFAULT_SKEW_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_POLL_MS,
  DEFAULT_FOLDER_POLL_MS,
  DEFAULT_HEALTHY_MS,
} from './watch';
export type { WatchOptions, WatchStatus, TokenFound, TokenWatch } from './watch';
export { abortError as watchAbortError, imapSizeLimits } from './imapClient';
export { testMailbox } from './probe';
export { parseAndClassify, DEFAULT_MAX_BYTES, DEFAULT_PARSE_TIMEOUT_MS } from './parse';
export type { ParseOptions } from './parse';
export type { MailboxConfig } from './imapClient';
export { MailboxError, isMailboxError } from './errors';
export type { MailboxErrorKind } from './errors';
export { MAIL_PRESETS, MAIL_PRESET_IDS, presetForHost, defaultSecurity, defaultPort } from './presets';
export type { MailPreset, MailPresetId } from './presets';
export { isAbortError } from '../core/async';
