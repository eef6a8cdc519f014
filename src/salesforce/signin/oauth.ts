/**
 * Sign-in method `oauth`: the web-server flow with PKCE through the user's External Client App (SF_CLIENT_ID; a
 * confidential app's SF_CLIENT_SECRET). Signing in (browser, loopback or pasted URL) is the caller's (CLI `oauth
 * login`, the extension's Switch to OAuth) with src/salesforce/oauth/; this module tests and refreshes a kept sign-in:
 *
 * - test: REST health with the access token (SF_ACCESS_TOKEN at SF_INSTANCE_URL): userinfo, org name, limits. An
 *   access token Salesforce refuses (401 INVALID_SESSION_ID, 403 Bad_OAuth_Token), or none at all, is refreshed with
 *   the refresh token when the caller listens (opts.onRefresh gets the new tokens, awaited, then the new token is what
 *   was tested); no refresh token: `signin-required` (NO_REFRESH_TOKEN).
 * - refresh: the refresh_token grant (no verifier), then REST health with the new token. A refused refresh token
 *   (invalid_grant) → `signin-required`; an app refused / blocked / unknown → `app-not-approved`. The rotated refresh
 *   token is in `secrets` whenever the grant succeeded, also when the health test after it fails.
 */
import { performance } from 'node:perf_hooks';
import { type HealthResult, REFUSED_ACCESS_TOKEN_CODES, classifyOAuthError, failureResult } from '../../core/health';
import { nullLogger } from '../../core/log';
import { type OrgSecrets, type ValidProfile } from '../../core/profile';
import { safeErrorMessage } from '../../core/redact';
import { SIGN_IN_INFO } from '../../core/signin';
import { refreshTokens, restHealth } from '../oauth/client';
import type { LoginOptions, SignInMethod, SignInRefresh } from './types';

/** No refresh token is kept for the org (never signed in, signed out, or forgotten). */
export const NO_REFRESH_TOKEN = 'NO_REFRESH_TOKEN';
/** The onRefresh callback failed: the new tokens may not be stored. */
export const REFRESH_NOT_SAVED = 'REFRESH_NOT_SAVED';

function signInRequired(profile: ValidProfile, code: string, message: string): HealthResult {
  return {
    ...failureResult({ status: 'signin-required', code, message }),
    username: profile.username || null,
    flow: 'oauth',
    checkedAt: new Date().toISOString(),
  };
}

async function refresh(profile: ValidProfile, secrets: OrgSecrets, opts: LoginOptions): Promise<SignInRefresh> {
  const log = opts.log ?? nullLogger;
  if (!secrets.refreshToken) {
    return {
      health: signInRequired(
        profile,
        NO_REFRESH_TOKEN,
        'No OAuth sign-in is kept for this org (no refresh token). Sign in with OAuth (Switch to OAuth; CLI: token-relay oauth login).',
      ),
    };
  }
  if (!profile.clientId) {
    return {
      health: {
        ...failureResult({
          status: 'login-failed',
          code: 'MISSING_CLIENT_ID',
          message:
            "SF_AUTH is oauth but no client id is set: enter the External Client App's client id (SF_CLIENT_ID).",
        }),
        username: profile.username || null,
        flow: 'oauth',
      },
    };
  }
  const started = performance.now();
  log.info(`refreshing the OAuth access token at ${profile.loginUrl} for ${profile.username}`);
  let tokens: Awaited<ReturnType<typeof refreshTokens>>;
  try {
    tokens = await refreshTokens(
      {
        loginUrl: profile.loginUrl,
        clientId: profile.clientId,
        clientSecret: secrets.clientSecret,
        refreshToken: secrets.refreshToken,
      },
      opts,
    );
  } catch (e) {
    const c = classifyOAuthError(e);
    log.info(`refresh failed: ${c.status} (${c.code ?? 'no code'})`);
    log.debug(`refresh error detail: ${safeErrorMessage(e)}`);
    return {
      health: {
        ...failureResult(c),
        username: profile.username || null,
        flow: 'oauth',
        latencyMs: Math.round(performance.now() - started),
        checkedAt: new Date().toISOString(),
      },
    };
  }
  const health = await restHealth(
    {
      instanceUrl: tokens.instanceUrl,
      accessToken: tokens.accessToken,
      apiVersion: profile.apiVersion,
      fetchLimits: opts.fetchLimits,
      username: profile.username,
    },
    opts,
  );
  const env: Record<string, string> = { SF_ACCESS_TOKEN: tokens.accessToken, SF_INSTANCE_URL: tokens.instanceUrl };
  if (health.status === 'ok' && health.username) env.SF_USERNAME = health.username;
  return {
    health,
    env,
    secrets: { accessToken: tokens.accessToken, ...(tokens.rotated ? { refreshToken: tokens.refreshToken } : {}) },
    issuedAt: tokens.issuedAt,
  };
}

export const oauthSignIn: SignInMethod = {
  ...SIGN_IN_INFO.oauth,
  precheck(profile) {
    if (!profile.username)
      return {
        code: 'MISSING_USERNAME',
        field: 'SF_USERNAME',
        message: 'No username is set for this org. Edit the org and enter the Salesforce username.',
      };
    return undefined;
  },
  async test(profile, secrets, opts) {
    const log = opts.log ?? nullLogger;
    if (secrets.accessToken && profile.instanceUrl) {
      const h = await restHealth(
        {
          instanceUrl: profile.instanceUrl,
          accessToken: secrets.accessToken,
          apiVersion: profile.apiVersion,
          fetchLimits: opts.fetchLimits,
          username: profile.username,
        },
        opts,
      );
      if (h.status !== 'signin-required' || !REFUSED_ACCESS_TOKEN_CODES.includes(h.code ?? '')) return h;
      if (!secrets.refreshToken || !opts.onRefresh) return h;
      log.info(`the access token was refused (${h.code}): refreshing`);
    } else if (!secrets.refreshToken) {
      return refresh(profile, secrets, opts).then((r) => r.health);
    } else if (!opts.onRefresh) {
      return signInRequired(
        profile,
        'NO_ACCESS_TOKEN',
        'No access token is kept for this org (SF_ACCESS_TOKEN / SF_INSTANCE_URL): refresh it (CLI: token-relay oauth refresh).',
      );
    }
    const r = await refresh(profile, secrets, opts);
    if (r.env || r.secrets) {
      try {
        await opts.onRefresh(r);
      } catch (e) {
        log.error(`the refreshed tokens could not be stored: ${safeErrorMessage(e)}`);
        return {
          ...failureResult({
            status: 'login-failed',
            code: REFRESH_NOT_SAVED,
            message: `The access token was refreshed, but the new tokens could not be stored: ${safeErrorMessage(e)}`,
          }),
          username: profile.username || null,
          flow: 'oauth',
        };
      }
    }
    return r.health;
  },
  refresh,
};
