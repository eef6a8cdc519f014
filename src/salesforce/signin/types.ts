/**
 * The sign-in seam: one module per way an org signs in (src/salesforce/signin/<method>.ts), each a SignInMethod,
 * listed in SIGN_IN_METHODS (./index.ts). testLogin (../login.ts) validates the profile, picks the method
 * (authMethodOf: SF_AUTH, else today's rule), checks its preconditions, and runs its `test` (with the INVALID_LOGIN
 * retry). The pure facts of a method (env keys, secrets, refresh, retirement) are SignInInfo in
 * src/core/signin.ts, so the extension's activation code and the .env writer can read them without this code.
 */
import type { HealthResult } from '../../core/health';
import type { Logger } from '../../core/log';
import type { OrgSecrets, ValidProfile } from '../../core/profile';
import type { SignInInfo } from '../../core/signin';
import type { ProxyOptions } from '../transport';

export interface LoginOptions {
  signal?: AbortSignal;
  /** Deadline for one login attempt including its follow-up calls; default 30 000 ms. */
  timeoutMs?: number;
  /** Also read DailyApiRequests from limits() (one API call); default true. */
  fetchLimits?: boolean;
  /**
   * Right after a reset: `attempts` = total login attempts while Salesforce answers INVALID_LOGIN
   * (1 = no retry); waits delayMs, 2×delayMs, 4×delayMs … between them (each wait ≤ 60 s). Abortable.
   */
  retryInvalidLogin?: { attempts: number; delayMs: number };
  /** Proxy (the extension passes http.proxy / http.proxyStrictSSL; the CLI uses proxyFromEnv()). */
  proxy?: ProxyOptions;
  /** Extra trusted CA certificates (PEM), besides Node's store and NODE_EXTRA_CA_CERTS. */
  ca?: string | Buffer | Array<string | Buffer>;
  log?: Logger;
  /** Called before each retry (attempt number starting at 2, and the wait in ms). */
  onRetry?: (attempt: number, delayMs: number, last: HealthResult) => void;
  /**
   * SF_AUTH=oauth: the test may refresh an expired access token, and gives the new tokens here (awaited) so the caller
   * writes .env and stores a rotated refresh token before the result comes back. Without it the test does not
   * refresh (a rotated refresh token nobody keeps would be lost) and answers `signin-required` with the REST code.
   */
  onRefresh?: (r: SignInRefresh) => void | Promise<void>;
  /** SF_AUTH=sf-cli: the sf executable (the extension's setting; the CLI's SF_CLI_PATH); else `sf` on PATH. */
  sfCliPath?: string;
  /** SF_AUTH=sf-cli: the environment sf runs in and is looked up on (PATH); default process.env. */
  sfCliEnv?: NodeJS.ProcessEnv;
}

/** What a refresh gives (OAuth, sf CLI): the health of the fresh session and the .env values it owns. */
export interface SignInRefresh {
  health: HealthResult;
  /** Values for the method's own env keys (e.g. SF_ACCESS_TOKEN, SF_INSTANCE_URL); secrets are registered. */
  env?: Record<string, string>;
  /** Secrets that changed (the new access token; the refresh token only when Salesforce rotated it). */
  secrets?: Partial<OrgSecrets>;
  /** When the new access token was issued (ms since the epoch; Salesforce's issued_at), for the refresh timer. */
  issuedAt?: number;
}

/** A precondition that fails: the login is not attempted; testLogin answers `login-failed` with this code. */
export interface SignInProblem {
  code: string;
  /** The env variable (or profile field) at fault. */
  field: string;
  message: string;
}

export interface SignInMethod extends SignInInfo {
  /** Why a login with it cannot be attempted yet (missing username, password…); undefined when it can. Pure. */
  precheck(profile: ValidProfile, secrets: OrgSecrets): SignInProblem | undefined;
  /**
   * One login attempt with this method, mapped to a health state (HealthResult.flow = this.flow). The profile is
   * validated and `precheck` has passed (testLogin sees to both). Never throws; secrets it meets are registered
   * for redaction. `opts.log` is the caller's logger (testLogin passes its `salesforce` child).
   */
  test(profile: ValidProfile, secrets: OrgSecrets, opts: LoginOptions): Promise<HealthResult>;
  /** A fresh access token without the user (only when canRefresh). Never throws. */
  refresh?(profile: ValidProfile, secrets: OrgSecrets, opts: LoginOptions): Promise<SignInRefresh>;
}
