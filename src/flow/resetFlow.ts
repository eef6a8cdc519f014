/**
 * The Reset Token path, shared by `token-relay reset` and the extension's "Salesforce: Reset Token".
 * The UI parts (browser, secret store, .env writer, progress, verification codes) are passed in.
 *
 *  1. start the mailbox watcher FIRST and wait until it is connected, caught up and idling, so the token mail
 *     cannot slip past (a watcher that fails to connect ends the flow before the browser opens);
 *  2. open the org's Reset My Security Token page (resetPageUrl; never the confirm URL);
 *  3. wait for the token mail (deps.timeoutMs, default 10 min, and deps.signal);
 *  4. storeToken → writeEnv → testLogin with retryInvalidLogin (a new token can take a while to work).
 *
 * Only mail that arrives after the watcher started counts (watch option newOnly): a token mail from an
 * earlier reset is void as soon as the user clicks Reset on the page we open. A failure after the token was
 * found is a ResetFlowError that carries the token, so the caller can still show/store it.
 */
import type { EnvWriteResult } from '../core/envContent';
import type { HealthResult } from '../core/health';
import { profileLoginUrl, type OrgProfile, type OrgSecrets } from '../core/profile';
import { Logger, nullLogger } from '../core/log';
import { safeErrorMessage, registerSecret } from '../core/redact';
import { resetPageUrlOf } from '../core/resetUrl';
import { acquireResetLock, ResetInProgressError } from './resetLock';
import { testLogin, LoginOptions } from '../salesforce/login';
import { MailboxConfig, TokenFound, WatchOptions, WatchStatus, watchForToken } from '../mail';

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
  /** How long to wait for the token mail after the page opened (default 600 000 ms). */
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
  watch?: Partial<Pick<WatchOptions, 'requireDkim' | 'trustForwarded' | 'authservId' | 'forwardedFrom' | 'folderPollMs' | 'reconnect' | 'skewMs' | 'newOnly'>>;
}

export interface ResetFlowResult {
  token: TokenFound;
  env?: EnvWriteResult;
  health: HealthResult;
  url: string;
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

  // The watch's own controller: aborted by the caller's signal, or by the timeout once the page is open.
  const ac = new AbortController();
  const onOuterAbort = () => ac.abort(deps.signal?.reason);
  if (deps.signal?.aborted) ac.abort(deps.signal.reason);
  deps.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;

  try {
    let idleResolve!: () => void;
    const idle = new Promise<void>((r) => (idleResolve = r));
    const watchP = watchForToken({
      mailbox: deps.mailbox,
      since: now(),
      username: deps.profile.username,
      signal: ac.signal,
      newOnly: true,
      log: deps.log,
      ...deps.watch,
      onVerificationCode: (v) => {
        if (v.code) deps.onVerificationCode?.(v.code);
      },
      onStatus: (s, detail) => {
        status(STATUS_TEXT[s]);
        log.debug(`watcher ${s}${detail ? `: ${detail}` : ''}`);
        if (s === 'idle') idleResolve();
      },
    });
    watchP.catch(() => {}); // handled below; avoid an unhandled rejection while we wait for 'idle'

    // 1. watcher ready (or failed)
    await Promise.race([idle, watchP]);

    // 2. the reset page
    log.info(`opening the reset page ${url}`);
    status('Opening the Reset My Security Token page…');
    try {
      await deps.open(url);
    } catch (e) {
      throw new ResetFlowError('open', `Could not open the browser (${safeErrorMessage(e)}). Open this page yourself: ${url}`, undefined, e);
    }
    status('Click "Reset Security Token" in the browser; waiting for the mail…');
    const timeoutMs = deps.timeoutMs && deps.timeoutMs > 0 ? deps.timeoutMs : DEFAULT_RESET_TIMEOUT_MS;
    timer = setTimeout(() => ac.abort(new DOMException(`no token mail within ${Math.round(timeoutMs / 1000)} s`, 'TimeoutError')), timeoutMs);

    // 3. the token
    const token = await watchP;
    clearTimeout(timer);
    timer = undefined;
    registerSecret(token.token);
    log.info(`token mail received (${token.folder}, ${token.receivedAt.toISOString()})`);

    // 4. store, .env, login
    status('Storing the new token…');
    try {
      await deps.storeToken(token.token);
    } catch (e) {
      throw new ResetFlowError('store', `The new token arrived but could not be stored: ${safeErrorMessage(e)}`, token, e);
    }
    let env: EnvWriteResult | undefined;
    status('Writing .env…');
    try {
      env = await deps.writeEnv(token.token);
    } catch (e) {
      throw new ResetFlowError('env', `The new token arrived but .env could not be written: ${safeErrorMessage(e)}`, token, e);
    }
    status('Testing the login with the new token…');
    const health = await testLogin(deps.profile, { ...deps.secrets, token: token.token }, {
      ...deps.login,
      signal: deps.signal,
      retryInvalidLogin: deps.retryInvalidLogin ?? { attempts: 6, delayMs: 2000 },
      log: deps.log,
    });
    status(health.status === 'ok' ? 'Connected with the new token.' : `Login after the reset: ${health.label}`);
    return { token, env, health, url };
  } finally {
    release();
    if (timer) clearTimeout(timer);
    deps.signal?.removeEventListener('abort', onOuterAbort);
    if (!ac.signal.aborted) ac.abort(new DOMException('reset flow finished', 'AbortError'));
  }
}
