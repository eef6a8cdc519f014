/**
 * The Reset Token path, shared by `token-relay reset` and the extension's "Salesforce: Reset Token".
 * The UI parts (browser, secret store, .env writer, progress, verification codes) are passed in.
 *
 *  1. start the mailbox watcher FIRST and wait until it is connected, caught up and idling, so the token mail
 *     cannot slip past (a watcher that fails to connect ends the flow before the browser opens);
 *  2. open the org's Reset My Security Token page (resetPageUrl; never the confirm URL);
 *  3. wait for the token mail;
 *  4. storeToken → writeEnv → testLogin with retryInvalidLogin (a new token can take a while to work).
 * The newest token wins for the whole reset window (deps.timeoutMs, default 10 min, from the start; and
 * deps.signal): the watcher keeps going after the first token mail (watchTokens). A newer token mail (a second
 * click on Reset voids the first token; a mail held up in transit is older by its Date header) replaces the
 * token at once: the login retries with the older one stop, the newer one is stored, written and tried. The flow
 * ends when a login succeeds (the stored and written token is the one that logged in), when it fails otherwise
 * than INVALID_LOGIN, or when the window ends (then with the last login's result; with a timeout error only when
 * no token mail came at all).
 *
 * Only mail that arrives after the watcher started counts (watch option newOnly): a token mail from an
 * earlier reset is void as soon as the user clicks Reset on the page we open. A failure after the token was
 * found is a ResetFlowError that carries the token, so the caller can still show/store it.
 */
import type { EnvWriteResult } from '../core/envContent';
import type { HealthResult } from '../core/health';
import { profileLoginUrl, type OrgProfile, type OrgSecrets } from '../core/profile';
import type { Logger } from '../core/log';
import { nullLogger } from '../core/log';
import { safeErrorMessage, registerSecret } from '../core/redact';
import { resetPageUrlOf } from '../core/resetUrl';
import { acquireResetLock, ResetInProgressError } from './resetLock';
import type { LoginOptions } from '../salesforce/login';
import { testLogin } from '../salesforce/login';
import type { MailboxConfig, TokenFound, WatchOptions, WatchStatus } from '../mail';
import { watchAbortError, watchTokens } from '../mail';
import { withTimeout } from '../core/async';

export interface ResetFlowDeps {
  profile: OrgProfile;
  secrets: OrgSecrets;
  mailbox: MailboxConfig;
  open(url: string): Promise<void>;
  storeToken(token: string): Promise<void>;
  writeEnv(token: string): Promise<EnvWriteResult | undefined>;
  onVerificationCode?(code: string): void;
  onStatus?(s: string): void;
  signal?: AbortSignal;
  /** The reset window: the whole flow, mailbox to login, ends after this long (default 600 000 ms). */
  timeoutMs?: number;
  log?: Logger;
  now?: () => Date;
  /** Classic reset page instead of Lightning. */
  classic?: boolean;
  /** INVALID_LOGIN retries after the reset (default 6 attempts, 2 s doubling). */
  retryInvalidLogin?: { attempts: number; delayMs: number };
  /** Extra options for testLogin (proxy, ca, timeoutMs…). */
  login?: Omit<LoginOptions, 'signal' | 'retryInvalidLogin' | 'log'>;
  /** Extra watcher options (tests: reconnect timing, folderPollMs…). */
  watch?: Partial<
    Pick<
      WatchOptions,
      | 'requireDkim'
      | 'trustForwarded'
      | 'authservId'
      | 'forwardedFrom'
      | 'folderPollMs'
      | 'reconnect'
      | 'skewMs'
      | 'newOnly'
    >
  >;
}

export interface ResetFlowResult {
  /** The token of the last login (the one that logged in when health is ok). */
  token: TokenFound;
  env?: EnvWriteResult;
  health: HealthResult;
  url: string;
  /** Token mails whose token a newer one replaced during the window (0 in the usual case). */
  superseded: number;
}

export type ResetStage = 'lock' | 'watch' | 'open' | 'store' | 'env';

export class ResetFlowError extends Error {
  override name = 'ResetFlowError';
  constructor(
    readonly stage: ResetStage,
    message: string,
    /** The token, when it was already found (store/env failures). */
    readonly token?: TokenFound,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** A ResetFlowError, also one made by the other extension bundle (its class is another object there). */
export function isResetFlowError(e: unknown): e is ResetFlowError {
  return e instanceof ResetFlowError || (e instanceof Error && e.name === 'ResetFlowError');
}

export const DEFAULT_RESET_TIMEOUT_MS = 600_000;

const STATUS_TEXT: Record<WatchStatus, string> = {
  connecting: 'Connecting to the mailbox…',
  'catching-up': 'Checking the mailbox…',
  idle: 'Waiting for the token mail…',
  reconnecting: 'Mailbox connection lost; reconnecting…',
};

export async function runResetFlow(deps: ResetFlowDeps): Promise<ResetFlowResult> {
  const log = (deps.log ?? nullLogger).child('reset');
  const now = deps.now ?? (() => new Date());
  const status = (s: string) => {
    try {
      deps.onStatus?.(s);
    } catch (e) {
      log.warn(`onStatus failed: ${safeErrorMessage(e)}`);
    }
  };
  // Compute the URL first: a bad login URL should fail before we touch the mailbox (a ValidProfile's is trusted).
  const url = resetPageUrlOf(profileLoginUrl(deps.profile), { classic: deps.classic });
  // One reset per org at a time, across processes and windows (a second click would void the first's token).
  let release: () => void;
  try {
    release = acquireResetLock(deps.profile.loginUrl, deps.profile.username);
  } catch (e) {
    if (e instanceof ResetInProgressError) throw new ResetFlowError('lock', e.message, undefined, e);
    throw e;
  }

  // The window: aborted by the caller's signal, or by our own timer (held here: see src/cli/watch.ts timeoutSignal).
  const ac = new AbortController();
  const onOuterAbort = () => ac.abort(deps.signal?.reason);
  if (deps.signal?.aborted) ac.abort(deps.signal.reason);
  deps.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const timeoutMs = deps.timeoutMs && deps.timeoutMs > 0 ? deps.timeoutMs : DEFAULT_RESET_TIMEOUT_MS;
  const timer = setTimeout(
    () => ac.abort(new DOMException(`no token mail within ${Math.round(timeoutMs / 1000)} s`, 'TimeoutError')),
    Math.min(timeoutMs, 2 ** 31 - 1),
  );

  // The newest token mail so far, and whoever waits for a newer one.
  let current: TokenFound | undefined;
  let tokensSeen = 0;
  let onNewToken: () => void = () => {};
  let login: AbortController | undefined;
  let watch: ReturnType<typeof watchTokens> | undefined;
  try {
    let idleResolve!: () => void;
    const idle = new Promise<void>((r) => (idleResolve = r));
    watch = watchTokens({
      mailbox: deps.mailbox,
      since: now(),
      username: deps.profile.username,
      signal: ac.signal,
      newOnly: true,
      log: deps.log,
      ...deps.watch,
      onToken: (t) => {
        registerSecret(t.token);
        const replaced = current;
        current = t;
        tokensSeen++;
        if (replaced)
          log.info(
            `a newer token mail arrived (${t.folder}, sent ${t.sentAt?.toISOString() ?? 'at an unknown time'}): it replaces the earlier token`,
          );
        login?.abort(new DOMException('a newer token mail arrived', 'AbortError'));
        onNewToken();
      },
      onVerificationCode: (v) => {
        if (v.code) deps.onVerificationCode?.(v.code);
      },
      onStatus: (s, detail) => {
        status(STATUS_TEXT[s]);
        log.debug(`watcher ${s}${detail ? `: ${detail}` : ''}`);
        if (s === 'idle') idleResolve();
      },
    });
    const watchDone = watch.done;
    watchDone.catch(() => {}); // handled below; avoid an unhandled rejection while we wait for 'idle'

    // 1. watcher ready (or failed)
    await Promise.race([idle, watchDone]);
    if (ac.signal.aborted) throw watchAbortError(ac.signal);

    // 2. the reset page
    log.info(`opening the reset page ${url}`);
    status('Opening the Reset My Security Token page…');
    try {
      await deps.open(url);
    } catch (e) {
      throw new ResetFlowError(
        'open',
        `Could not open the browser (${safeErrorMessage(e)}). Open this page yourself: ${url}`,
        undefined,
        e,
      );
    }
    status('Click "Reset Security Token" in the browser; waiting for the mail…');

    /** A token newer than `seen`; rejects when the window ends or the watch fails. */
    const newerThan = (seen: TokenFound | undefined) =>
      new Promise<TokenFound>((resolve, reject) => {
        const settle = (f: () => void) => {
          onNewToken = () => {};
          ac.signal.removeEventListener('abort', onAbort);
          f();
        };
        const onAbort = () => settle(() => reject(watchAbortError(ac.signal)));
        onNewToken = () => {
          if (current && current !== seen) settle(() => resolve(current!));
        };
        ac.signal.addEventListener('abort', onAbort, { once: true });
        watchDone.then(
          () => settle(() => reject(watchAbortError(ac.signal))),
          (e: unknown) => settle(() => reject(e)),
        );
        if (ac.signal.aborted) onAbort();
        else onNewToken();
      });

    let last: ResetFlowResult | undefined;
    for (;;) {
      // 3. the (next) token
      let token: TokenFound;
      try {
        token = await newerThan(last?.token);
      } catch (e) {
        if (!last) throw e; // no token mail at all: the timeout / cancel / mailbox error as before
        log.info(`no newer token mail (${safeErrorMessage(e)}): the reset ends with the last login's result`);
        return last;
      }
      log.info(`token mail received (${token.folder}, ${token.receivedAt.toISOString()})`);

      // 4. store, .env, login
      status(last ? 'A newer token mail arrived: storing its token…' : 'Storing the new token…');
      try {
        await deps.storeToken(token.token);
      } catch (e) {
        throw new ResetFlowError(
          'store',
          `The new token arrived but could not be stored: ${safeErrorMessage(e)}`,
          token,
          e,
        );
      }
      let env: EnvWriteResult | undefined;
      status('Writing .env…');
      try {
        env = await deps.writeEnv(token.token);
      } catch (e) {
        throw new ResetFlowError(
          'env',
          `The new token arrived but .env could not be written: ${safeErrorMessage(e)}`,
          token,
          e,
        );
      }
      status('Testing the login with the new token…');
      const attempt = new AbortController();
      login = attempt;
      const onWindowEnd = () => attempt.abort(ac.signal.reason);
      if (ac.signal.aborted) onWindowEnd();
      else ac.signal.addEventListener('abort', onWindowEnd, { once: true });
      let health: HealthResult;
      try {
        health = await testLogin(
          deps.profile,
          { ...deps.secrets, token: token.token },
          {
            ...deps.login,
            signal: attempt.signal,
            retryInvalidLogin: deps.retryInvalidLogin ?? { attempts: 6, delayMs: 2000 },
            log: deps.log,
          },
        );
      } finally {
        ac.signal.removeEventListener('abort', onWindowEnd);
        login = undefined;
      }
      last = { token, env, health, url, superseded: Math.max(0, tokensSeen - 1) };
      if (current !== token && !ac.signal.aborted) {
        log.info('a newer token mail arrived during the login: trying its token');
        continue;
      }
      if (health.status === 'ok') {
        status('Connected with the new token.');
        await stopWatch(watch, token);
        return last;
      }
      status(`Login after the reset: ${health.label}`);
      if (health.status !== 'invalid-login' || ac.signal.aborted) {
        await stopWatch(watch);
        return last;
      }
      // Rejected with this token: a newer token mail (a second click on Reset) may still come within the window.
      status('Login rejected with the new token; still watching for a newer token mail…');
    }
  } finally {
    release();
    clearTimeout(timer);
    deps.signal?.removeEventListener('abort', onOuterAbort);
    if (!ac.signal.aborted) ac.abort(new DOMException('reset flow finished', 'AbortError'));
  }
}

/** Ends the watch (afterSuccess for the token that logged in), bounded: the window's abort closes it anyway. */
async function stopWatch(watch: ReturnType<typeof watchTokens>, accepted?: TokenFound): Promise<void> {
  await withTimeout(watch.stop(accepted), 3000).catch(() => {});
}
