/**
 * watchForToken: waits for the Salesforce security-token mail over IMAP (imapflow, loaded lazily).
 *
 * One connection does everything, commands strictly one after another:
 *  1. connect (IMAPS or STARTTLS; password/app password or XOAUTH2; TLS verified unless insecureTls);
 *  2. catch up: per folder, UID SEARCH SINCE <day of since−skew> (server side), then FETCH only
 *     uid/internalDate/size/envelope of those; messages whose INTERNALDATE (arrival, not the Date header) is
 *     ≥ since−skew and whose From domain can be trusted at all are candidates; only candidates' sources are
 *     downloaded (capped, default 2 MB) and classified by parseAndClassify. Subject/wording is never used
 *     to pick candidates (the mail is localized), so a Japanese token mail is found like an English one;
 *  3. wait: IDLE on INBOX (imapflow auto-IDLE after 150 ms of quiet), or NOOP every ~1 s when the server has
 *     no IDLE (or forcePoll). While idling, a re-check on a schedule (`recheck`, default DEFAULT_RECHECK of
 *     src/core/recheck.ts: every 2 s for 3 minutes, then 5 s, then 15 s) leaves IDLE, sends NOOP and idles again:
 *     servers that look at the mailbox inside IDLE only on their own timer (Courier: every 60 s) report new mail
 *     within the interval. The watcher only runs while a reset waits for its mail, so that is the reset window.
 *     Each 'exists' → fetch UIDs above the last seen one and classify them.
 *     Extra folders (mailbox.folders) and the \Junk special-use folder (watchJunk; found by flag, not name)
 *     are polled with STATUS every folderPollMs (3 s); when UIDNEXT moved the folder is selected, the new
 *     UIDs are classified, and INBOX is selected again (and caught up, as its notices were missed meanwhile);
 *  4. on 'close' (server restart, network) reconnect with exponential backoff (250 ms → 10 s, jitter) and
 *     catch up from the last seen UID of every folder (UIDVALIDITY checked; a change restarts that folder's
 *     scan by date). The backoff starts over only after a connection stayed up for reconnect.healthyMs (30 s):
 *     a server that drops every session soon after login gets ever fewer logins, not one per second.
 *     Each message is classified at most once per (folder, UIDVALIDITY, UID), and marked so only once it was
 *     classified: a download cut off by a dropped connection is done again after the reconnect (up to
 *     MAX_DOWNLOAD_ATTEMPTS times). A verification code is relayed at most once per Message-ID.
 * Downloads: a source up to maxMessageBytes (2 MB) whole (the first 64 KB may come with the metadata, see
 * PREFETCH_*); a larger mail by part (./parts.ts: BODYSTRUCTURE, then header + text parts within the cap), a byte
 * prefix only when its structure names no text part. imapflow's line/literal limits match (imapClient.ts).
 * Every message must have INTERNALDATE ≥ since−skew, also one that shows up while we watch (a greylisted or
 * moved mail of an earlier reset is stale however late it lands); the skew (default 2 min) absorbs clock
 * differences between the mail server and this machine.
 * `newOnly` also ignores everything that was there at the start (the reset flow: a token from an earlier reset is
 * void once the user clicks Reset again). When several token mails qualify, the newest (INTERNALDATE, then
 * UID) wins. The caller owns the overall timeout (signal); aborting closes the socket at once and rejects
 * with an AbortError.
 * `watchTokens` (the reset flow) keeps watching after a token: every newer token mail (by its Date header, the
 * time Salesforce issued it, then arrival) is handed to onToken at once, until the caller stops the watch. Failures to connect the first time reject with a MailboxError; after the first
 * success, only permanent errors (auth, TLS trust) end the watch, everything else is retried.
 */
import type { ImapFlow, FetchMessageObject, ListResponse, MessageStructureObject } from 'imapflow';
import type { MailVerdict } from '../core/tokenMail';
import type { Logger } from '../core/log';
import { nullLogger } from '../core/log';
import { registerSecret, safeErrorMessage } from '../core/redact';
import { isAbortError, sleep, withTimeout } from '../core/async';
import type { RecheckStep } from '../core/recheck';
import { DEFAULT_RECHECK, recheckIntervalMs } from '../core/recheck';
import type { ParseOptions } from './parse';
import { parseAndClassify } from './parse';
import type { MailboxError } from './errors';
import { toMailboxError } from './errors';
import { assembleTextParts, planTextParts } from './parts';
import type { MailboxConfig } from './imapClient';
import {
  abortError,
  connectClient,
  createImapClient,
  errorContext,
  resolvedEndpoint,
  withDeadline,
} from './imapClient';

export type { MailboxConfig } from './imapClient';

export type WatchStatus = 'connecting' | 'catching-up' | 'idle' | 'reconnecting';

export interface WatchOptions {
  mailbox: MailboxConfig;
  since: Date;
  username?: string;
  signal?: AbortSignal;
  requireDkim?: boolean;
  /** Clock-skew margin subtracted from `since` for mails already there at start (default 2 min). */
  skewMs?: number;
  onVerificationCode?: (v: MailVerdict) => void;
  onStatus?: (s: WatchStatus, detail?: string) => void;
  log?: Logger;
  /** Ignore every mail already in the folders when the watch starts; only new arrivals count. */
  newOnly?: boolean;
  /** Accept forwarded copies (passed to the classifier; only forwardedFrom's forwards count). */
  trustForwarded?: boolean;
  /** The receiving server's authserv-id(s) for requireDkim (default: the IMAP host's registrable domain). */
  authservId?: string | string[];
  /** The user's own forwarding address(es): their forwards of the token mail count (implies trustForwarded). */
  forwardedFrom?: string | string[];
  /** Largest part of a message downloaded for classification (default 2 MB). */
  maxMessageBytes?: number;
  /** STATUS polling interval for extra/junk folders (default 3000 ms). */
  folderPollMs?: number;
  /**
   * Reconnect backoff (default 250 ms doubling to 10 s, −50 % jitter); it starts over only after a connection
   * stayed up for healthyMs (default 30 s).
   */
  reconnect?: { initialMs?: number; maxMs?: number; healthyMs?: number };
  /**
   * While idling, leave IDLE for a NOOP on this schedule (time since the watch started; default DEFAULT_RECHECK),
   * for servers that announce new mail inside IDLE only on their own timer. false: IDLE alone.
   */
  recheck?: readonly RecheckStep[] | false;
  /** Replaces parseAndClassify (tests, custom recognition). */
  classify?: (source: Buffer, opts: ParseOptions) => Promise<MailVerdict>;
}

export interface TokenFound extends MailVerdict {
  kind: 'token';
  token: string;
  uid: number;
  folder: string;
  receivedAt: Date;
  /** The mail's Date header (ENVELOPE), when it has a valid one: when Salesforce sent it. */
  sentAt?: Date;
}

/** A watch that keeps going after a token (watchTokens). */
export interface TokenWatch {
  /** Settles when the watch ends: resolves after stop(), rejects as watchForToken does (abort, permanent failure). */
  done: Promise<void>;
  /**
   * Ends the watch. `accepted`: the token that was used (mailbox.afterSuccess applies to its mail). Resolves when
   * the watch has ended (LOGOUT is sent in the background).
   */
  stop(accepted?: TokenFound): Promise<void>;
}

export const DEFAULT_SKEW_MS = 2 * 60_000;
export const DEFAULT_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;
export const DEFAULT_POLL_MS = 1000;
export const DEFAULT_FOLDER_POLL_MS = 3000;
export const DEFAULT_HEALTHY_MS = 30_000;
const DAY_MS = 24 * 3600_000;
const CATCH_UP_DEADLINE_MS = 120_000;
/** A candidate whose download keeps failing (connection cut, an empty answer) is given up after this many tries. */
export const MAX_DOWNLOAD_ATTEMPTS = 3;

interface FolderState {
  path: string;
  uidValidity?: bigint;
  /** Highest UID examined (catch-up resumes after it). */
  lastUid: number;
  /** Highest UID that existed when the watch first opened the folder (undefined = every UID is "old"). */
  baselineUid?: number;
  opened: boolean;
}

const META_QUERY = { uid: true, internalDate: true, size: true, envelope: true } as const;
/**
 * When a scan looks at only a few messages (a new arrival, a catch-up whose SEARCH found one or two), the first
 * PREFETCH_BYTES of each source come in the same FETCH as the metadata: a candidate then needs no second round
 * trip. At most PREFETCH_MESSAGES × PREFETCH_BYTES are downloaded for mail the envelope then rules out.
 */
const PREFETCH_MESSAGES = 4;
const PREFETCH_BYTES = 64 * 1024;
/**
 * The catch-up SEARCH looks at the newest SEARCH_WINDOW messages first (on a big folder the server's SEARCH time
 * grows with the folder: ~15–25 ms at 50,000 messages against 1–4 ms for the window). When the window's oldest
 * message already matches, mail older than the window may match too: the whole folder is searched as before.
 */
const SEARCH_WINDOW = 1000;

/**
 * Parsed once when the watch first goes idle, so the token mail's own parse does not pay for loading mailparser
 * and for its first, unoptimized run (70–140 ms cold against ~10 ms after one warm-up, measured). Not a token mail.
 */
const WARM_UP_MAIL = [
  'From: Token Relay <warm-up@token-relay.invalid>',
  'To: <warm-up@token-relay.invalid>',
  'Subject: =?UTF-8?Q?warm-up_=E2=80=94_not_a_real_mail?=',
  'Date: Thu, 01 Jan 2026 00:00:00 +0000',
  'Message-ID: <warm-up@token-relay.invalid>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/alternative; boundary="b"',
  '',
  '--b',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Hello =E2=80=94 this mail only warms up the parser.',
  '',
  '--b',
  'Content-Type: text/html; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  '<p>Hello =E2=80=94 this mail only warms up the parser.</p>',
  '',
  '--b--',
  '',
].join('\r\n');

interface Candidate {
  uid: number;
  /** The processed-set key (folder, UIDVALIDITY, UID). */
  key: string;
  receivedAt: Date;
  sentAt?: Date;
  size: number;
  messageId?: string;
  /** What classifyCandidates would download (whole source, or its first maxBytes), when it came with the metadata. */
  source?: Buffer;
}

export function watchForToken(opts: WatchOptions): Promise<TokenFound> {
  return untilAborted(new Watcher(opts).run(), opts.signal).then((t) => {
    if (!t) throw abortError(opts.signal);
    return t;
  });
}

/**
 * `p`, but rejected with the watch's AbortError as soon as `signal` aborts, whatever the watcher is busy with (a
 * parse of a hostile mail, a command imapflow has not failed yet): the caller's deadline holds.
 */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  p.catch(() => {});
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * Watches until stop() (or the signal): each token mail newer than the last one reported goes to `onToken` at once
 * (the reset flow: a second click on Reset voids the first token; see the header).
 */
export function watchTokens(opts: WatchOptions & { onToken: (t: TokenFound) => void }): TokenWatch {
  const w = new Watcher(opts, opts.onToken);
  const done = untilAborted(w.run(), opts.signal).then(() => undefined);
  return {
    done,
    stop: async (accepted) => {
      w.stop(accepted);
      await done.catch(() => {});
    },
  };
}

/** What classifyCandidates hands the classifier for one message. */
interface Download {
  source: Buffer;
  /** Read by part (./parts.ts): the classifier's byte cap must not cut it again. */
  byPart?: { cut: boolean; skipped: number };
}

class Watcher {
  private readonly cfg: MailboxConfig;
  private readonly log: Logger;
  private readonly skewMs: number;
  private readonly cutoff: Date;
  private readonly folders = new Map<string, FolderState>();
  private readonly processed = new Set<string>();
  /** Failed download attempts per processed-set key (MAX_DOWNLOAD_ATTEMPTS). */
  private readonly attempts = new Map<string, number>();
  private readonly codesRelayed = new Set<string>();
  private extraFolders: string[] | undefined;
  private best: TokenFound | undefined;
  /** The last token handed to onToken (watchTokens). */
  private reported: TokenFound | undefined;
  /** finish() has sent LOGOUT: the session leaves the connection to close by itself. */
  private loggingOut = false;
  private parserWarmed = false;
  private connectedOnce = false;
  /** When the current session's login completed (performance.now()), undefined before. */
  private sessionConnectedAt: number | undefined;
  private readonly readOnly: boolean;
  private readonly maxBytes: number;
  private stopRequested = false;
  private accepted: TokenFound | undefined;
  /** When the watch started (performance.now()): the re-check schedule counts from it. */
  private readonly startedAt = performance.now();
  /** Re-checks (NOOP inside the IDLE wait) sent so far. */
  private rechecks = 0;
  /** Wakes whatever the watch waits for now (the idle wait, the reconnect pause). */
  private wakeUp: () => void = () => {};

  constructor(
    private readonly opts: WatchOptions,
    private readonly onToken?: (t: TokenFound) => void,
  ) {
    this.cfg = opts.mailbox;
    this.log = (opts.log ?? nullLogger).child('mail');
    this.skewMs = opts.skewMs ?? DEFAULT_SKEW_MS;
    const since = opts.since instanceof Date && !isNaN(opts.since.getTime()) ? opts.since : new Date();
    this.cutoff = new Date(since.getTime() - Math.max(0, this.skewMs));
    this.readOnly = (this.cfg.afterSuccess ?? 'leave') === 'leave';
    this.maxBytes = opts.maxMessageBytes && opts.maxMessageBytes > 0 ? opts.maxMessageBytes : DEFAULT_MAX_MESSAGE_BYTES;
  }

  stop(accepted?: TokenFound): void {
    this.stopRequested = true;
    this.accepted = accepted;
    this.wakeUp();
  }

  private status(s: WatchStatus, detail?: string): void {
    this.log.debug(`status ${s}${detail ? `: ${detail}` : ''}`);
    try {
      this.opts.onStatus?.(s, detail);
    } catch (e) {
      this.log.warn(`onStatus callback failed: ${safeErrorMessage(e)}`);
    }
  }

  /** The token (watchForToken), or undefined once stop() ended a watchTokens watch. */
  async run(): Promise<TokenFound | undefined> {
    const { signal } = this.opts;
    const ctx = errorContext(this.cfg);
    let attempt = 0;
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      if (this.stopRequested) return undefined;
      let lastError: MailboxError | undefined;
      this.sessionConnectedAt = undefined;
      let endedAt: number;
      try {
        const found = await this.session(attempt > 0 || this.connectedOnce);
        endedAt = performance.now();
        if (found) return found;
        if (signal?.aborted) throw abortError(signal);
      } catch (e) {
        endedAt = performance.now();
        if (signal?.aborted || isAbortError(e)) throw abortError(signal);
        if (this.stopRequested) return undefined;
        const me = toMailboxError(e, ctx);
        if (!this.connectedOnce || me.permanent) throw me;
        lastError = me;
      }
      if (this.stopRequested) return undefined;
      // The connection closed (or failed) after a successful start: back off and reconnect. Only a connection
      // that stayed up for a while (healthyMs) starts the backoff from the beginning again: a server that drops
      // every session half a second after login must not get a login every half second.
      const healthyMs = this.opts.reconnect?.healthyMs ?? DEFAULT_HEALTHY_MS;
      const upFor = this.sessionConnectedAt === undefined ? 0 : endedAt - this.sessionConnectedAt;
      if (this.sessionConnectedAt !== undefined && upFor >= healthyMs) attempt = 0;
      const initial = this.opts.reconnect?.initialMs ?? 250;
      const cap = this.opts.reconnect?.maxMs ?? 10_000;
      const base = Math.min(cap, initial * 2 ** Math.min(attempt, 20));
      const delay = Math.round(base * (0.5 + Math.random() * 0.5));
      attempt++;
      this.status(
        'reconnecting',
        `connection lost${lastError ? ` (${lastError.message})` : ''}${this.sessionConnectedAt !== undefined ? ` after ${Math.round(upFor)} ms` : ''}; retry ${attempt} in ${delay} ms`,
      );
      await this.pause(delay);
    }
  }

  /** sleep(ms) that also ends early on stop(). */
  private async pause(ms: number): Promise<void> {
    const { signal } = this.opts;
    let wake!: () => void;
    const woken = new Promise<void>((r) => (wake = r));
    this.wakeUp = wake;
    const s = sleep(ms, signal, abortError);
    try {
      await Promise.race([s, woken]);
    } finally {
      this.wakeUp = () => {};
      s.catch(() => {});
    }
  }

  /** One connection's life. Returns the token, or undefined when the connection closed (or stop() ended it). */
  private async session(reconnect: boolean): Promise<TokenFound | undefined> {
    const { signal } = this.opts;
    const ep = resolvedEndpoint(this.cfg);
    this.status(
      reconnect ? 'reconnecting' : 'connecting',
      `${ep.host}:${ep.port} (${ep.security === 'implicit' ? 'implicit TLS' : 'STARTTLS'})`,
    );
    const client = createImapClient(this.cfg, this.log, { maxMessageBytes: this.maxBytes });
    let closed = false;
    let inboxDirty = false;
    /** New INBOX messages the server announced (EXISTS) since the last scan: sizes the next scan's prefetch. */
    let announced = 0;
    let wake: () => void = () => {};
    const kick = () => {
      const w = wake;
      wake = () => {};
      w();
    };
    this.wakeUp = kick;
    client.on('close', () => {
      closed = true;
      kick();
    });
    client.on('exists', (ev: { path: string; count: number; prevCount: number }) => {
      if (ev.path.toUpperCase() === 'INBOX') {
        this.log.trace(`INBOX exists ${ev.prevCount} → ${ev.count}`);
        announced += Math.max(0, ev.count - ev.prevCount);
        inboxDirty = true;
        kick();
      }
    });
    const onAbort = () => {
      closed = true;
      client.close();
      kick();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await connectClient(client, this.cfg, signal);
      this.connectedOnce = true;
      this.sessionConnectedAt = performance.now();
      const idle = client.capabilities.has('IDLE') && !this.cfg.forcePoll;
      this.log.info(
        `connected to ${ep.host}:${ep.port} as ${this.cfg.user}; ${idle ? 'IDLE' : 'no IDLE: polling with NOOP'}`,
      );

      this.status('catching-up', reconnect ? 'from the last seen UID' : `mail since ${this.cutoff.toISOString()}`);
      // A server that stops answering mid-catch-up would otherwise hold us until the 5-minute socket timeout:
      // bound the catch-up (generously: SEARCH over a very large mailbox takes seconds) and reconnect instead.
      const catchUpMs = Math.max(CATCH_UP_DEADLINE_MS, 3 * (this.cfg.timeoutMs ?? 0));
      const extra = await withDeadline(client, this.cfg, 'the catch-up (SEARCH/FETCH)', catchUpMs, async () => {
        const folders = await this.resolveExtraFolders(client);
        for (const path of folders) {
          await this.openAndScan(client, path);
        }
        await this.openAndScan(client, 'INBOX');
        return folders;
      });
      if (this.stopRequested) return await this.end(client);
      if (this.best && !this.onToken) return await this.finish(client, this.best);

      this.status('idle', idle ? 'waiting for new mail (IDLE)' : 'waiting for new mail (NOOP polling)');
      if (!this.parserWarmed && !this.opts.classify) {
        this.parserWarmed = true;
        setImmediate(() => void parseAndClassify(Buffer.from(WARM_UP_MAIL, 'utf8')).catch(() => {}));
      }
      const pollMs = this.cfg.pollIntervalMs && this.cfg.pollIntervalMs > 0 ? this.cfg.pollIntervalMs : DEFAULT_POLL_MS;
      const folderPollMs =
        this.opts.folderPollMs && this.opts.folderPollMs > 0 ? this.opts.folderPollMs : DEFAULT_FOLDER_POLL_MS;
      let nextFolderPoll = Date.now() + folderPollMs;
      const schedule = this.opts.recheck ?? this.cfg.recheck ?? DEFAULT_RECHECK;
      const steps = schedule === false ? undefined : schedule;
      const nextRecheckAt = () =>
        steps ? performance.now() + recheckIntervalMs(performance.now() - this.startedAt, steps) : Infinity;
      let nextRecheck = idle ? nextRecheckAt() : Infinity;
      while (!closed && !this.stopRequested) {
        if (!inboxDirty) {
          let waitMs = idle ? Infinity : pollMs;
          if (extra.length) waitMs = Math.min(waitMs, Math.max(0, nextFolderPoll - Date.now()));
          if (Number.isFinite(nextRecheck)) waitMs = Math.min(waitMs, Math.max(0, nextRecheck - performance.now()));
          await new Promise<void>((resolve) => {
            const t = Number.isFinite(waitMs) ? setTimeout(resolve, waitMs) : undefined;
            wake = () => {
              if (t) clearTimeout(t);
              resolve();
            };
          });
        }
        if (closed || this.stopRequested) break;
        if (!idle && !inboxDirty) await client.noop(); // new-mail notices arrive as 'exists' during NOOP
        if (idle && !inboxDirty && performance.now() >= nextRecheck) {
          // The re-check: imapflow ends IDLE (DONE), the NOOP lets the server report what arrived ('exists'),
          // and IDLE starts again at once rather than after the auto-IDLE delay.
          this.rechecks++;
          this.log.trace(`re-check ${this.rechecks}: NOOP`);
          await client.noop();
          if (!inboxDirty && !closed) void client.idle().catch(() => {});
          nextRecheck = nextRecheckAt();
        }
        if (inboxDirty) {
          inboxDirty = false;
          const expected = announced;
          announced = 0;
          await this.scan(client, this.state('INBOX'), expected);
        }
        if (extra.length && Date.now() >= nextFolderPoll) {
          if (await this.pollFolders(client, extra)) await this.openAndScan(client, 'INBOX');
          nextFolderPoll = Date.now() + folderPollMs;
        }
        if (this.best && !this.onToken) return await this.finish(client, this.best);
      }
      if (this.stopRequested && !closed) return await this.end(client);
      return undefined;
    } catch (e) {
      if (signal?.aborted) throw abortError(signal);
      if (closed && this.connectedOnce) {
        this.log.debug(`connection closed during a command: ${safeErrorMessage(e)}`);
        return undefined;
      }
      throw e;
    } finally {
      this.wakeUp = () => {};
      signal?.removeEventListener('abort', onAbort);
      if (!closed && !this.loggingOut) client.close();
    }
  }

  /** stop() during a watchTokens session: afterSuccess for the accepted token, then LOGOUT. */
  private async end(client: ImapFlow): Promise<undefined> {
    if (this.accepted) await this.finish(client, this.accepted);
    else this.logoutInBackground(client);
    return undefined;
  }

  private state(path: string): FolderState {
    let st = this.folders.get(path);
    if (!st) {
      st = { path, lastUid: 0, opened: false };
      this.folders.set(path, st);
    }
    return st;
  }

  private async resolveExtraFolders(client: ImapFlow): Promise<string[]> {
    if (this.extraFolders) return this.extraFolders;
    const wanted = (this.cfg.folders ?? []).map((f) => f.trim()).filter(Boolean);
    if (!wanted.length && !this.cfg.watchJunk) return (this.extraFolders = []);
    const list: ListResponse[] = await client.list();
    const out: string[] = [];
    const add = (p: string) => {
      if (p.toUpperCase() !== 'INBOX' && !out.includes(p)) out.push(p);
    };
    for (const w of wanted) {
      const hit = list.find((l) => l.path === w) ?? list.find((l) => l.path.toLowerCase() === w.toLowerCase());
      if (hit) add(hit.path);
      else this.log.warn(`folder "${w}" does not exist on the server; not watched`);
    }
    if (this.cfg.watchJunk) {
      const junk = list.find((l) => l.specialUse === '\\Junk');
      if (junk) {
        this.log.info(`watching the junk folder "${junk.path}" (\\Junk)`);
        add(junk.path);
      } else {
        this.log.warn('watchJunk: the server flags no folder as \\Junk; only the other folders are watched');
      }
    }
    return (this.extraFolders = out);
  }

  private async openAndScan(client: ImapFlow, path: string): Promise<void> {
    await client.mailboxOpen(path, { readOnly: this.readOnly });
    await this.scan(client, this.state(path));
  }

  /** STATUS each extra folder; scan the ones whose UIDNEXT/UIDVALIDITY moved. True when INBOX was left. */
  private async pollFolders(client: ImapFlow, paths: string[]): Promise<boolean> {
    let left = false;
    for (const path of paths) {
      const st = this.state(path);
      const s = await client.status(path, { uidNext: true, uidValidity: true });
      if (!s) continue;
      const moved =
        (s.uidValidity !== undefined && st.uidValidity !== undefined && s.uidValidity !== st.uidValidity) ||
        (typeof s.uidNext === 'number' && s.uidNext - 1 > st.lastUid);
      if (moved) {
        await this.openAndScan(client, path);
        left = true;
      }
    }
    return left;
  }

  /** Examines the messages of the selected folder that were not examined yet. */
  private async scan(client: ImapFlow, st: FolderState, announced = 0): Promise<void> {
    const mb = client.mailbox;
    if (!mb || typeof mb === 'boolean' || mb.path.toUpperCase() !== st.path.toUpperCase()) return;
    const uidValidity = mb.uidValidity;
    if (st.uidValidity !== undefined && uidValidity !== st.uidValidity) {
      this.log.warn(`UIDVALIDITY of ${st.path} changed: re-examining it by arrival date`);
      st.lastUid = 0;
      st.baselineUid = Number.MAX_SAFE_INTEGER; // every UID is now "old": the date rule applies
    }
    st.uidValidity = uidValidity;
    if (!st.opened) {
      st.opened = true;
      // UIDNEXT is a required SELECT answer (RFC 3501 6.3.1), but Courier leaves it out: ask with STATUS then (else
      // the last message's UID), or every message already there would count as new (newOnly would not ignore them).
      let uidNext: number | undefined = mb.uidNext;
      if (uidNext === undefined && mb.exists > 0) {
        const s = await client.status(mb.path, { uidNext: true });
        uidNext = s ? s.uidNext : undefined;
        if (uidNext === undefined) {
          const last = await client.fetchOne('*', { uid: true });
          uidNext = last ? last.uid + 1 : undefined;
        }
        this.log.debug(`${st.path}: no UIDNEXT in the SELECT answer; asked: ${uidNext ?? 'none'}`);
      }
      st.baselineUid = Math.max(0, (uidNext ?? 1) - 1);
      if (this.opts.newOnly) {
        st.lastUid = st.baselineUid;
        this.log.debug(`${st.path}: ignoring ${mb.exists} existing message(s) (newOnly)`);
        return;
      }
    }
    if (mb.exists === 0) return;

    const from = st.lastUid + 1;
    const metas: FetchMessageObject[] = [];
    const onlyNew = st.baselineUid !== undefined && st.lastUid >= st.baselineUid;
    // The first bytes of the sources come with the metadata when few messages are expected (PREFETCH_MESSAGES).
    const prefetchLen = Math.min(PREFETCH_BYTES, this.maxBytes);
    const metaQuery = (count: number) =>
      count > 0 && count <= PREFETCH_MESSAGES
        ? { ...META_QUERY, source: { start: 0, maxLength: prefetchLen } }
        : META_QUERY;
    if (onlyNew) {
      // Everything above lastUid arrived after the watch started: no date rule, no SEARCH needed. How many: at
      // most UIDNEXT−1−lastUid as of the SELECT, plus what the server announced since (EXISTS) — an upper bound,
      // short only by mail that lands during this FETCH.
      const expected = Math.max(0, (mb.uidNext ?? 1) - 1 - st.lastUid) + announced;
      for await (const m of client.fetch(`${from}:*`, metaQuery(expected), { uid: true }))
        if (m.uid >= from) metas.push(m);
    } else {
      // Server-side prefilter by day (IMAP SINCE has day granularity, in the server's zone: one day slack),
      // then only metadata of those; sources only for candidates below.
      const day = new Date(this.cutoff.getTime() - DAY_MS);
      // A big folder: the newest SEARCH_WINDOW messages first (message numbers start:*, so the answer is message
      // numbers too, fetched as such below); the whole folder only when the window's oldest message matches.
      const start = mb.exists > SEARCH_WINDOW ? mb.exists - SEARCH_WINDOW + 1 : 0;
      let seqs: number[] | undefined;
      if (start > 1) {
        const res = await client.search({ seq: `${start}:*`, uid: `${from}:*`, since: day });
        const hits = Array.isArray(res) ? res : [];
        if (!hits.includes(start)) seqs = hits.filter((n) => n >= start).sort((a, b) => a - b);
        else
          this.log.debug(
            `${st.path}: the ${SEARCH_WINDOW} newest messages all match the date filter; searching the whole folder`,
          );
      }
      let uids: number[] = [];
      if (!seqs) {
        const res = await client.search({ uid: `${from}:*`, since: day }, { uid: true });
        uids = (Array.isArray(res) ? res : []).filter((u) => u >= from).sort((a, b) => a - b);
      }
      const count = seqs ? seqs.length : uids.length;
      if (!count) {
        st.lastUid = Math.max(st.lastUid, (mb.uidNext ?? 1) - 1);
        return;
      }
      // Message numbers stay valid from the SEARCH to this FETCH: a server sends no EXPUNGE while no command runs
      // or during SEARCH/FETCH (RFC 3501 7.4.1), and nothing else runs on this connection in between.
      const fetched = seqs
        ? client.fetch(compactRange(seqs), metaQuery(count))
        : client.fetch(compactRange(uids), metaQuery(count), { uid: true });
      for await (const m of fetched) if (m.uid >= from) metas.push(m);
    }
    if (!metas.length) return;
    metas.sort((a, b) => a.uid - b.uid);
    const maxUid = metas[metas.length - 1]!.uid;

    const candidates: Candidate[] = [];
    for (const m of metas) {
      const key = `${st.path}\u0000${String(uidValidity)}\u0000${m.uid}`;
      if (this.processed.has(key)) continue;
      const receivedAt = toDate(m.internalDate);
      const old = st.baselineUid === undefined || m.uid <= st.baselineUid;
      if (receivedAt ? receivedAt < this.cutoff : old) {
        this.processed.add(key);
        if (receivedAt && !old)
          this.log.debug(
            `${st.path} uid ${m.uid}: arrived now but dated ${receivedAt.toISOString()}, before the watch window: stale, ignored`,
          );
        continue;
      }
      if (!this.opts.trustForwarded && !this.opts.forwardedFrom?.length && !envelopeMayBeSalesforce(m)) {
        this.processed.add(key);
        this.log.trace(`${st.path} uid ${m.uid}: sender is not Salesforce; skipped without download`);
        continue;
      }
      // Marked processed only once classified (classifyCandidates): a download the connection cut off is done
      // again by the next scan (the catch-up after the reconnect).
      // A prefetched source counts only when it is what classifyCandidates would download: all RFC822.SIZE bytes,
      // or exactly the first maxBytes of a bigger mail. Anything else (a mail over 64 KB, a server that sends a
      // short or empty partial body) is downloaded again as before.
      const src = m.source;
      const whole =
        !!src &&
        typeof m.size === 'number' &&
        (src.length === m.size ||
          (prefetchLen === this.maxBytes && src.length === prefetchLen && m.size > prefetchLen));
      candidates.push({
        uid: m.uid,
        key,
        receivedAt: receivedAt ?? new Date(),
        sentAt: toDate(m.envelope?.date),
        size: m.size ?? 0,
        messageId: m.envelope?.messageId,
        source: whole ? src : undefined,
      });
    }
    const pending = candidates.length ? await this.classifyCandidates(client, st.path, candidates) : [];
    // A candidate left unclassified (no source came) keeps lastUid below it, so the next scan fetches it again.
    st.lastUid = Math.max(st.lastUid, pending.length ? Math.min(...pending) - 1 : maxUid);
  }

  /**
   * Downloads and classifies candidates; returns the UIDs left unclassified (to be tried again). A failed download
   * (the connection dropped) still classifies what did arrive, then rethrows.
   */
  private async classifyCandidates(client: ImapFlow, folder: string, cands: Candidate[]): Promise<number[]> {
    const byUid = new Map(cands.map((c) => [c.uid, c]));
    const sources = new Map<number, Download>();
    for (const c of cands) if (c.source) sources.set(c.uid, { source: c.source });
    const small = cands.filter((c) => !c.source && c.size <= this.maxBytes).map((c) => c.uid);
    const big = cands.filter((c) => !c.source && c.size > this.maxBytes).map((c) => c.uid);
    let failure: unknown;
    try {
      if (small.length) {
        for await (const m of client.fetch(
          compactRange(small.sort((a, b) => a - b)),
          { uid: true, source: true },
          { uid: true },
        ))
          if (m.source?.length) sources.set(m.uid, { source: m.source });
      }
      if (big.length)
        await this.downloadLarge(
          client,
          big.sort((a, b) => a - b),
          sources,
        );
    } catch (e) {
      failure = e;
    }
    const classify = this.opts.classify ?? parseAndClassify;
    const mailboxAddress = this.cfg.user.includes('@') ? this.cfg.user : undefined;
    const before = this.best;
    for (const [uid, dl] of [...sources.entries()].sort((a, b) => a[0] - b[0])) {
      const c = byUid.get(uid)!;
      let v: MailVerdict;
      try {
        v = await classify(dl.source, {
          username: this.opts.username,
          requireDkim: this.opts.requireDkim,
          trustForwarded: this.opts.trustForwarded,
          authservId: this.opts.authservId,
          forwardedFrom: this.opts.forwardedFrom,
          imapHost: this.cfg.host,
          mailbox: mailboxAddress,
          // A mail read by part is already within the cap; its size must not look like a cut prefix.
          maxBytes: dl.byPart ? Math.max(this.maxBytes, dl.source.length + 1) : this.maxBytes,
        });
      } catch (e) {
        this.log.warn(`${folder} uid ${uid}: could not classify: ${safeErrorMessage(e)}`);
        this.processed.add(c.key);
        continue;
      }
      this.processed.add(c.key);
      if (dl.byPart) {
        v.warnings.push(
          `the mail is larger than ${this.maxBytes} bytes: only its header and text parts were read (${dl.byPart.skipped} other part(s) skipped${dl.byPart.cut ? '; a long text part was cut at a line end' : ''})`,
        );
      }
      if (v.kind === 'token' && v.token) {
        registerSecret(v.token);
        const found: TokenFound = {
          ...v,
          kind: 'token',
          token: v.token,
          uid,
          folder,
          receivedAt: c.receivedAt,
          ...(c.sentAt ? { sentAt: c.sentAt } : {}),
        };
        this.log.info(
          `${folder} uid ${uid}: token mail${v.username ? ` for ${v.username}` : ''}, received ${c.receivedAt.toISOString()}`,
        );
        if (!this.best || newer(found, this.best, !!this.onToken)) this.best = found;
      } else if (v.kind === 'verification-code') {
        const key = c.messageId || `${folder}/${uid}`;
        if (this.codesRelayed.has(key)) continue;
        this.codesRelayed.add(key);
        this.log.info(`${folder} uid ${uid}: verification-code mail${v.username ? ` for ${v.username}` : ''}`);
        try {
          this.opts.onVerificationCode?.(v);
        } catch (e) {
          this.log.warn(`onVerificationCode callback failed: ${safeErrorMessage(e)}`);
        }
      } else {
        this.log.debug(`${folder} uid ${uid}: ${v.kind}: ${v.reason}`);
      }
    }
    if (this.onToken && this.best && this.best !== before && this.best !== this.reported) {
      this.reported = this.best;
      try {
        this.onToken(this.best);
      } catch (e) {
        this.log.warn(`onToken callback failed: ${safeErrorMessage(e)}`);
      }
    }
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error(safeErrorMessage(failure));
    const pending: number[] = [];
    for (const c of cands) {
      if (sources.has(c.uid)) continue;
      const n = (this.attempts.get(c.key) ?? 0) + 1;
      this.attempts.set(c.key, n);
      if (n >= MAX_DOWNLOAD_ATTEMPTS) {
        this.log.warn(`${folder} uid ${c.uid}: the server sent no content for it ${n} times; given up`);
        this.processed.add(c.key);
      } else {
        this.log.debug(`${folder} uid ${c.uid}: no content came (attempt ${n}); tried again with the next scan`);
        pending.push(c.uid);
      }
    }
    return pending;
  }

  /**
   * Mails over maxBytes: BODYSTRUCTURE, then header + text parts within the cap (./parts.ts); a byte prefix of
   * maxBytes for the ones whose structure names no text part (not multipart, no text, a tiny cap).
   */
  private async downloadLarge(client: ImapFlow, uids: number[], out: Map<number, Download>): Promise<void> {
    const structures = new Map<number, MessageStructureObject>();
    for await (const m of client.fetch(compactRange(uids), { uid: true, bodyStructure: true }, { uid: true }))
      if (m.bodyStructure) structures.set(m.uid, m.bodyStructure);
    const prefix: number[] = [];
    for (const uid of uids) {
      const plan = planTextParts(structures.get(uid), this.maxBytes);
      if (!plan) {
        prefix.push(uid);
        continue;
      }
      this.log.debug(
        `uid ${uid}: large message: reading its header and ${plan.parts.length} text part(s), ${plan.skipped} other part(s) skipped`,
      );
      const m = await client.fetchOne(String(uid), { uid: true, bodyParts: plan.query }, { uid: true });
      const mail = m ? assembleTextParts(m.headers, m.bodyParts, plan) : undefined;
      if (mail) out.set(uid, { source: mail.source, byPart: { cut: mail.cut, skipped: mail.skipped } });
      else if (m) prefix.push(uid);
    }
    if (prefix.length) {
      this.log.debug(`${prefix.length} large message(s): reading only their first ${this.maxBytes} bytes`);
      for await (const m of client.fetch(
        compactRange(prefix),
        { uid: true, source: { start: 0, maxLength: this.maxBytes } },
        { uid: true },
      ))
        if (m.source?.length) out.set(m.uid, { source: m.source });
    }
  }

  private async finish(client: ImapFlow, best: TokenFound): Promise<TokenFound> {
    const action = this.cfg.afterSuccess ?? 'leave';
    if (action !== 'leave') {
      try {
        if (!client.mailbox || typeof client.mailbox === 'boolean' || client.mailbox.path !== best.folder) {
          await client.mailboxOpen(best.folder, { readOnly: false });
        }
        if (action === 'seen') await client.messageFlagsAdd(String(best.uid), ['\\Seen'], { uid: true });
        else await client.messageDelete(String(best.uid), { uid: true });
        this.log.info(`token mail ${action === 'seen' ? 'marked as seen' : 'deleted'}`);
      } catch (e) {
        this.log.warn(
          `could not ${action === 'seen' ? 'mark the token mail as seen' : 'delete the token mail'}: ${safeErrorMessage(e)}`,
        );
      }
    }
    this.logoutInBackground(client);
    return best;
  }

  /**
   * The token is the caller's at once: the LOGOUT round trip (and the server's BYE) completes in the background,
   * closing the socket either way (a server that does not answer within 2 s gets it closed).
   */
  private logoutInBackground(client: ImapFlow): void {
    this.loggingOut = true;
    withTimeout(client.logout(), 2000).catch(() => {
      client.close();
    });
  }
}

/**
 * a newer than b: the later arrival (INTERNALDATE), then the higher UID, INBOX first. `bySent` (watchTokens): the
 * later Date header first, when both have one and they differ: a token mail held up in transit arrives after the
 * mail of a later reset, but it was sent before it and its token is void.
 */
function newer(a: TokenFound, b: TokenFound, bySent = false): boolean {
  if (bySent && a.sentAt && b.sentAt) {
    const s = a.sentAt.getTime() - b.sentAt.getTime();
    if (s !== 0) return s > 0;
  }
  const d = a.receivedAt.getTime() - b.receivedAt.getTime();
  if (d !== 0) return d > 0;
  if (a.folder === b.folder) return a.uid > b.uid;
  return a.folder.toUpperCase() === 'INBOX';
}

/** "1,2,3,7,9,10" → "1:3,7,9:10" (keeps UID FETCH commands short for big result sets). */
export function compactRange(sorted: number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function toDate(v: unknown): Date | undefined {
  if (v instanceof Date) return isNaN(v.getTime()) ? undefined : v;
  if (typeof v === 'string' || typeof v === 'number') {
    const d = new Date(v);
    return isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

/**
 * A cheap pre-download check from the ENVELOPE: a mail can only be Salesforce's if a From (or Sender)
 * address is in salesforce.com or one of its subdomains. Missing/odd envelopes are let through (the
 * classifier decides); this only saves downloads, it never decides trust.
 */
function envelopeMayBeSalesforce(m: FetchMessageObject): boolean {
  const env = m.envelope;
  if (!env) return true;
  const addrs = [...(env.from ?? []), ...(env.sender ?? [])]
    .map((a) => (a.address ?? '').toLowerCase())
    .filter(Boolean);
  if (!addrs.length) return true;
  return addrs.some((a) => {
    const domain = a.slice(a.lastIndexOf('@') + 1);
    return domain === 'salesforce.com' || domain.endsWith('.salesforce.com');
  });
}
