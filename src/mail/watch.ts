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
 *     no IDLE (or forcePoll). Each 'exists' → fetch UIDs above the last seen one and classify them.
 *     Extra folders (mailbox.folders) and the \Junk special-use folder (watchJunk; found by flag, not name)
 *     are polled with STATUS every folderPollMs (3 s); when UIDNEXT moved the folder is selected, the new
 *     UIDs are classified, and INBOX is selected again (and caught up, as its notices were missed meanwhile);
 *  4. on 'close' (server restart, network) reconnect with exponential backoff (250 ms → 10 s, jitter) and
 *     catch up from the last seen UID of every folder (UIDVALIDITY checked; a change restarts that folder's
 *     scan by date). Each message is classified at most once per (folder, UIDVALIDITY, UID), and a
 *     verification code is relayed at most once per Message-ID.
 * Every message must have INTERNALDATE ≥ since−skew, also one that shows up while we watch (a greylisted or
 * moved mail of an earlier reset is stale however late it lands); the skew (default 2 min) absorbs clock
 * differences between the mail server and this machine.
 * `newOnly` also ignores everything that was there at the start (the reset flow: a token from an earlier reset is
 * void once the user clicks Reset again). When several token mails qualify, the newest (INTERNALDATE, then
 * UID) wins. The caller owns the overall timeout (signal); aborting closes the socket at once and rejects
 * with an AbortError. Failures to connect the first time reject with a MailboxError; after the first
 * success, only permanent errors (auth, TLS trust) end the watch, everything else is retried.
 */
import type { ImapFlow, FetchMessageObject, ListResponse } from 'imapflow';
import type { MailVerdict } from '../core/tokenMail';
import { Logger, nullLogger } from '../core/log';
import { registerSecret, safeErrorMessage } from '../core/redact';
import { isAbortError, sleep, withTimeout } from '../core/async';
import { parseAndClassify, ParseOptions } from './parse';
import { MailboxError, toMailboxError } from './errors';
import {
  MailboxConfig, abortError, connectClient, createImapClient, errorContext, resolvedEndpoint, withDeadline,
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
  /** Reconnect backoff (default 250 ms doubling to 10 s, ±50 % jitter). */
  reconnect?: { initialMs?: number; maxMs?: number };
  /** Replaces parseAndClassify (tests, custom recognition). */
  classify?: (source: Buffer, opts: ParseOptions) => Promise<MailVerdict>;
}

export interface TokenFound extends MailVerdict {
  kind: 'token';
  token: string;
  uid: number;
  folder: string;
  receivedAt: Date;
}

export const DEFAULT_SKEW_MS = 2 * 60_000;
export const DEFAULT_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;
export const DEFAULT_POLL_MS = 1000;
export const DEFAULT_FOLDER_POLL_MS = 3000;
const DAY_MS = 24 * 3600_000;
const CATCH_UP_DEADLINE_MS = 120_000;

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

export function watchForToken(opts: WatchOptions): Promise<TokenFound> {
  return new Watcher(opts).run();
}

class Watcher {
  private readonly cfg: MailboxConfig;
  private readonly log: Logger;
  private readonly skewMs: number;
  private readonly cutoff: Date;
  private readonly folders = new Map<string, FolderState>();
  private readonly processed = new Set<string>();
  private readonly codesRelayed = new Set<string>();
  private extraFolders: string[] | undefined;
  private best: TokenFound | undefined;
  private connectedOnce = false;
  private sessionConnected = false;
  private readonly readOnly: boolean;
  private readonly maxBytes: number;

  constructor(private readonly opts: WatchOptions) {
    this.cfg = opts.mailbox;
    this.log = (opts.log ?? nullLogger).child('mail');
    this.skewMs = opts.skewMs ?? DEFAULT_SKEW_MS;
    const since = opts.since instanceof Date && !isNaN(opts.since.getTime()) ? opts.since : new Date();
    this.cutoff = new Date(since.getTime() - Math.max(0, this.skewMs));
    this.readOnly = (this.cfg.afterSuccess ?? 'leave') === 'leave';
    this.maxBytes = opts.maxMessageBytes && opts.maxMessageBytes > 0 ? opts.maxMessageBytes : DEFAULT_MAX_MESSAGE_BYTES;
  }

  private status(s: WatchStatus, detail?: string): void {
    this.log.debug(`status ${s}${detail ? `: ${detail}` : ''}`);
    try {
      this.opts.onStatus?.(s, detail);
    } catch (e) {
      this.log.warn(`onStatus callback failed: ${safeErrorMessage(e)}`);
    }
  }

  async run(): Promise<TokenFound> {
    const { signal } = this.opts;
    const ctx = errorContext(this.cfg);
    let attempt = 0;
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      let lastError: MailboxError | undefined;
      this.sessionConnected = false;
      try {
        const found = await this.session(attempt > 0 || this.connectedOnce);
        if (found) return found;
        if (signal?.aborted) throw abortError(signal);
      } catch (e) {
        if (signal?.aborted || isAbortError(e)) throw abortError(signal);
        const me = toMailboxError(e, ctx);
        if (!this.connectedOnce || me.permanent) throw me;
        lastError = me;
      }
      // The connection closed (or failed) after a successful start: back off and reconnect. A connection that
      // worked for a while starts the backoff from the beginning again.
      if (this.sessionConnected) attempt = 0;
      const initial = this.opts.reconnect?.initialMs ?? 250;
      const cap = this.opts.reconnect?.maxMs ?? 10_000;
      const base = Math.min(cap, initial * 2 ** Math.min(attempt, 20));
      const delay = Math.round(base * (0.5 + Math.random() * 0.5));
      attempt++;
      this.status('reconnecting', `connection lost${lastError ? ` (${lastError.message})` : ''}; retry ${attempt} in ${delay} ms`);
      await sleep(delay, signal, abortError);
    }
  }

  /** One connection's life. Returns the token, or undefined when the connection closed. */
  private async session(reconnect: boolean): Promise<TokenFound | undefined> {
    const { signal } = this.opts;
    const ep = resolvedEndpoint(this.cfg);
    this.status(reconnect ? 'reconnecting' : 'connecting', `${ep.host}:${ep.port} (${ep.security === 'implicit' ? 'implicit TLS' : 'STARTTLS'})`);
    const client = createImapClient(this.cfg, this.log);
    let closed = false;
    let inboxDirty = false;
    let wake: () => void = () => {};
    const kick = () => {
      const w = wake;
      wake = () => {};
      w();
    };
    client.on('close', () => {
      closed = true;
      kick();
    });
    client.on('exists', (ev: { path: string; count: number; prevCount: number }) => {
      if (ev.path.toUpperCase() === 'INBOX') {
        this.log.trace(`INBOX exists ${ev.prevCount} → ${ev.count}`);
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
      this.sessionConnected = true;
      const idle = client.capabilities.has('IDLE') && !this.cfg.forcePoll;
      this.log.info(`connected to ${ep.host}:${ep.port} as ${this.cfg.user}; ${idle ? 'IDLE' : 'no IDLE: polling with NOOP'}`);

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
      if (this.best) return await this.finish(client);

      this.status('idle', idle ? 'waiting for new mail (IDLE)' : 'waiting for new mail (NOOP polling)');
      const pollMs = this.cfg.pollIntervalMs && this.cfg.pollIntervalMs > 0 ? this.cfg.pollIntervalMs : DEFAULT_POLL_MS;
      const folderPollMs = this.opts.folderPollMs && this.opts.folderPollMs > 0 ? this.opts.folderPollMs : DEFAULT_FOLDER_POLL_MS;
      let nextFolderPoll = Date.now() + folderPollMs;
      while (!closed) {
        if (!inboxDirty) {
          let waitMs = idle ? Infinity : pollMs;
          if (extra.length) waitMs = Math.min(waitMs, Math.max(0, nextFolderPoll - Date.now()));
          await new Promise<void>((resolve) => {
            const t = Number.isFinite(waitMs) ? setTimeout(resolve, waitMs) : undefined;
            wake = () => {
              if (t) clearTimeout(t);
              resolve();
            };
          });
        }
        if (closed) break;
        if (!idle && !inboxDirty) await client.noop(); // new-mail notices arrive as 'exists' during NOOP
        if (inboxDirty) {
          inboxDirty = false;
          await this.scan(client, this.state('INBOX'));
        }
        if (extra.length && Date.now() >= nextFolderPoll) {
          if (await this.pollFolders(client, extra)) await this.openAndScan(client, 'INBOX');
          nextFolderPoll = Date.now() + folderPollMs;
        }
        if (this.best) return await this.finish(client);
      }
      return undefined;
    } catch (e) {
      if (signal?.aborted) throw abortError(signal);
      if (closed && this.connectedOnce) {
        this.log.debug(`connection closed during a command: ${safeErrorMessage(e)}`);
        return undefined;
      }
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!closed) client.close();
    }
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
      const moved = (s.uidValidity !== undefined && st.uidValidity !== undefined && s.uidValidity !== st.uidValidity)
        || (typeof s.uidNext === 'number' && s.uidNext - 1 > st.lastUid);
      if (moved) {
        await this.openAndScan(client, path);
        left = true;
      }
    }
    return left;
  }

  /** Examines the messages of the selected folder that were not examined yet. */
  private async scan(client: ImapFlow, st: FolderState): Promise<void> {
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
      st.baselineUid = Math.max(0, (mb.uidNext ?? 1) - 1);
      if (this.opts.newOnly) {
        st.lastUid = st.baselineUid;
        this.log.debug(`${st.path}: ignoring ${mb.exists} existing message(s) (newOnly)`);
        return;
      }
    }
    if (mb.exists === 0) return;

    const from = st.lastUid + 1;
    let metas: FetchMessageObject[] = [];
    const onlyNew = st.baselineUid !== undefined && st.lastUid >= st.baselineUid;
    if (onlyNew) {
      // Everything above lastUid arrived after the watch started: no date rule, no SEARCH needed.
      for await (const m of client.fetch(`${from}:*`, META_QUERY, { uid: true })) if (m.uid >= from) metas.push(m);
    } else {
      // Server-side prefilter by day (IMAP SINCE has day granularity, in the server's zone: one day slack),
      // then only metadata of those; sources only for candidates below.
      const day = new Date(this.cutoff.getTime() - DAY_MS);
      const res = await client.search({ uid: `${from}:*`, since: day }, { uid: true });
      const uids = (Array.isArray(res) ? res : []).filter((u) => u >= from).sort((a, b) => a - b);
      if (!uids.length) {
        st.lastUid = Math.max(st.lastUid, (mb.uidNext ?? 1) - 1);
        return;
      }
      for await (const m of client.fetch(compactRange(uids), META_QUERY, { uid: true })) if (m.uid >= from) metas.push(m);
    }
    if (!metas.length) return;
    metas.sort((a, b) => a.uid - b.uid);
    const maxUid = metas[metas.length - 1]!.uid;

    const candidates: Array<{ uid: number; receivedAt: Date; size: number; messageId?: string }> = [];
    for (const m of metas) {
      const key = `${st.path}\u0000${String(uidValidity)}\u0000${m.uid}`;
      if (this.processed.has(key)) continue;
      this.processed.add(key);
      const receivedAt = toDate(m.internalDate);
      const old = st.baselineUid === undefined || m.uid <= st.baselineUid;
      if (receivedAt ? receivedAt < this.cutoff : old) {
        if (receivedAt && !old) this.log.debug(`${st.path} uid ${m.uid}: arrived now but dated ${receivedAt.toISOString()}, before the watch window: stale, ignored`);
        continue;
      }
      if (!this.opts.trustForwarded && !this.opts.forwardedFrom?.length && !envelopeMayBeSalesforce(m)) {
        this.log.trace(`${st.path} uid ${m.uid}: sender is not Salesforce; skipped without download`);
        continue;
      }
      candidates.push({ uid: m.uid, receivedAt: receivedAt ?? new Date(), size: m.size ?? 0, messageId: m.envelope?.messageId });
    }
    if (candidates.length) await this.classifyCandidates(client, st.path, candidates);
    st.lastUid = Math.max(st.lastUid, maxUid);
  }

  private async classifyCandidates(client: ImapFlow, folder: string, cands: Array<{ uid: number; receivedAt: Date; size: number; messageId?: string }>): Promise<void> {
    const byUid = new Map(cands.map((c) => [c.uid, c]));
    const sources = new Map<number, Buffer>();
    const small = cands.filter((c) => c.size <= this.maxBytes).map((c) => c.uid);
    const big = cands.filter((c) => c.size > this.maxBytes).map((c) => c.uid);
    if (small.length) {
      for await (const m of client.fetch(compactRange(small.sort((a, b) => a - b)), { uid: true, source: true }, { uid: true })) if (m.source) sources.set(m.uid, m.source);
    }
    if (big.length) {
      this.log.debug(`${big.length} large message(s): reading only their first ${this.maxBytes} bytes`);
      for await (const m of client.fetch(compactRange(big.sort((a, b) => a - b)), { uid: true, source: { start: 0, maxLength: this.maxBytes } }, { uid: true })) if (m.source) sources.set(m.uid, m.source);
    }
    const classify = this.opts.classify ?? parseAndClassify;
    const mailboxAddress = this.cfg.user.includes('@') ? this.cfg.user : undefined;
    for (const [uid, source] of [...sources.entries()].sort((a, b) => a[0] - b[0])) {
      const c = byUid.get(uid)!;
      let v: MailVerdict;
      try {
        v = await classify(source, {
          username: this.opts.username, requireDkim: this.opts.requireDkim, trustForwarded: this.opts.trustForwarded,
          authservId: this.opts.authservId, forwardedFrom: this.opts.forwardedFrom, imapHost: this.cfg.host,
          mailbox: mailboxAddress, maxBytes: this.maxBytes,
        });
      } catch (e) {
        this.log.warn(`${folder} uid ${uid}: could not classify: ${safeErrorMessage(e)}`);
        continue;
      }
      if (v.kind === 'token' && v.token) {
        registerSecret(v.token);
        const found: TokenFound = { ...v, kind: 'token', token: v.token, uid, folder, receivedAt: c.receivedAt };
        this.log.info(`${folder} uid ${uid}: token mail${v.username ? ` for ${v.username}` : ''}, received ${c.receivedAt.toISOString()}`);
        if (!this.best || newer(found, this.best)) this.best = found;
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
  }

  private async finish(client: ImapFlow): Promise<TokenFound> {
    const best = this.best!;
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
        this.log.warn(`could not ${action === 'seen' ? 'mark the token mail as seen' : 'delete the token mail'}: ${safeErrorMessage(e)}`);
      }
    }
    try {
      await withTimeout(client.logout(), 2000);
    } catch {
      client.close();
    }
    return best;
  }
}

function newer(a: TokenFound, b: TokenFound): boolean {
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
  const addrs = [...(env.from ?? []), ...(env.sender ?? [])].map((a) => (a.address ?? '').toLowerCase()).filter(Boolean);
  if (!addrs.length) return true;
  return addrs.some((a) => {
    const domain = a.slice(a.lastIndexOf('@') + 1);
    return domain === 'salesforce.com' || domain.endsWith('.salesforce.com');
  });
}
