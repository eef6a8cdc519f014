/**
 * testLogin: one Salesforce login, mapped to a health state: the public entry of the sign-in seam.
 *
 * 1. The profile is validated (validateProfile; a ValidProfile made where it entered is trusted as is). A bad
 *    login URL, API version or `auth` value comes back as `login-failed` with INVALID_LOGIN_URL /
 *    INVALID_API_VERSION / INVALID_AUTH_METHOD.
 * 2. The sign-in method is picked (authMethodOf: the profile's `auth` / SF_AUTH, else `password-oauth` when a client
 *    id and secret are set, else `password`) from SIGN_IN_METHODS (./signin/index.ts); a method this version does not
 *    implement yet (`sf-cli`) gives `login-failed` with AUTH_METHOD_NOT_SUPPORTED.
 * 3. Its preconditions (method.precheck: MISSING_USERNAME, MISSING_PASSWORD, MISSING_CLIENT_ID/SECRET, MFA_CODE_REQUIRED).
 * 4. Its `test`, retried while Salesforce answers INVALID_LOGIN (retryInvalidLogin; see ./signin/shared.ts).
 * Never throws; every secret (password, token, client secret, session id) is registered for redaction.
 */
import { nullLogger } from '../core/log';
import { failureResult, type HealthResult } from '../core/health';
import {
  type OrgProfile,
  type OrgSecrets,
  type ValidProfile,
  ProfileError,
  authMethodOf,
  loginFlow,
  registerProfileSecrets,
  validateProfile,
} from '../core/profile';
import { safeErrorMessage } from '../core/redact';
import { withRetirementNotice } from '../core/retirement';
import { SIGN_IN_INFO } from '../core/signin';
import { SIGN_IN_METHODS } from './signin/index';
import { preconditionResult, withInvalidLoginRetry } from './signin/shared';
import type { LoginOptions } from './signin/types';

export type { LoginOptions } from './signin/types';
export { DEFAULT_TIMEOUT_MS } from './signin/shared';
export { parseSoapLoginResult } from './signin/soap';

/** The answer for a method this version does not implement yet (issues 13 and 14 add them). */
export const NOT_SUPPORTED_CODE = 'AUTH_METHOD_NOT_SUPPORTED';
/** The answer for an `auth` value that is no method at all (a hand-edited setting). */
export const INVALID_AUTH_CODE = 'INVALID_AUTH_METHOD';

/** The precondition code of each profile field validateProfile refuses. */
const INVALID_FIELD_CODES: Record<string, string> = {
  SF_LOGIN_URL: 'INVALID_LOGIN_URL',
  SF_API_VERSION: 'INVALID_API_VERSION',
  SF_AUTH: INVALID_AUTH_CODE,
};

export async function testLogin(
  profile: OrgProfile,
  secrets: OrgSecrets,
  opts: LoginOptions = {},
): Promise<HealthResult> {
  registerProfileSecrets(secrets);
  const flow = loginFlow(profile, secrets);
  const log = (opts.log ?? nullLogger).child('salesforce');
  const notAttempted = (f: 'soap' | 'oauth', code: string, message: string): HealthResult => {
    log.warn(`login not attempted: ${message}`);
    return preconditionResult(profile.username, f, code, message);
  };
  try {
    let valid: ValidProfile;
    try {
      valid = validateProfile(profile);
    } catch (e) {
      if (!(e instanceof ProfileError)) throw e;
      return notAttempted(flow, INVALID_FIELD_CODES[e.field] ?? 'INVALID_PROFILE', e.reason);
    }
    const id = authMethodOf(valid, secrets);
    const method = SIGN_IN_METHODS[id];
    if (!method) {
      return notAttempted(
        SIGN_IN_INFO[id].flow,
        NOT_SUPPORTED_CODE,
        `This org signs in with ${SIGN_IN_INFO[id].label} (SF_AUTH=${id}), which this version of Token Relay cannot test yet. Use SF_AUTH=password or password-oauth, or update Token Relay.`,
      );
    }
    const problem = method.precheck(valid, secrets);
    if (problem) return notAttempted(method.flow, problem.code, problem.message);
    const result = await withInvalidLoginRetry(
      () => method.test(valid, secrets, { ...opts, log }),
      opts,
      method.flow,
      log,
    );
    // A working login of a method Salesforce is retiring stays ok and says so (CONTRACTS: the `notice` key).
    return withRetirementNotice(result, id, new Date());
  } catch (e) {
    // Defensive: the methods catch everything; this only guards against bugs.
    log.error(`unexpected failure in testLogin: ${safeErrorMessage(e)}`);
    return {
      ...failureResult({
        status: 'login-failed',
        code: 'INTERNAL',
        message: `The login test failed unexpectedly: ${safeErrorMessage(e)}`,
      }),
      flow,
    };
  }
}
