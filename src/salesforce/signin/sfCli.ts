/**
 * Sign-in method `sf-cli`: the Salesforce CLI owns the login (SF_TARGET_ORG = its alias or username); Token Relay
 * keeps no secret of its own and asks sf for a fresh access token (src/sfcli: `sf org auth show-access-token`, which
 * refreshes first; `sf org display` on older CLIs).
 *
 * - test: REST health with SF_ACCESS_TOKEN at SF_INSTANCE_URL (userinfo, org name, limits), as the oauth method. A
 *   token Salesforce refuses (401 INVALID_SESSION_ID, 403 Bad_OAuth_Token), or none at all, is refreshed through sf
 *   when the caller listens (opts.onRefresh gets the new .env values, awaited; then the new token is what was tested).
 * - refresh: sf's token, checked over REST before it is handed out. sf exits 0 with the stale token when it cannot
 *   refresh (no refresh token: an `org login access-token` org; refresh token expired or revoked): such a token is
 *   refused by Salesforce → `signin-required` whose message names `sf org login web -o <alias>`. No sf CLI →
 *   `login-failed` SF_NOT_FOUND with how to install it; an alias sf does not know → `signin-required` SF_ORG_UNKNOWN.
 */
import { performance } from 'node:perf_hooks';
import { isAbortError } from '../../core/async';
import { type HealthResult, REFUSED_ACCESS_TOKEN_CODES, failureResult } from '../../core/health';
import type { HealthStatus } from '../../core/healthStates';
import { nullLogger } from '../../core/log';
import type { OrgSecrets, ValidProfile } from '../../core/profile';
import { safeErrorMessage } from '../../core/redact';
import { SIGN_IN_INFO } from '../../core/signin';
import { DEFAULT_SF_TIMEOUT_MS, type SfAccess, isSfCliError, sfAccessToken, sfLoginCommand } from '../../sfcli/index';
import { restHealth } from '../oauth/client';
import type { LoginOptions, SignInMethod, SignInRefresh } from './types';

/** sf handed out a token Salesforce refuses: its own login is gone (no refresh token, or it expired / was revoked). */
export const SF_TOKEN_STALE = 'SF_TOKEN_STALE';
/** The onRefresh callback failed: the new token may not be stored. */
export const REFRESH_NOT_SAVED = 'REFRESH_NOT_SAVED';

/** The alias (or username) sf knows the org by. */
export function sfTargetOf(profile: { targetOrg?: string; username?: string }): string {
  return profile.targetOrg?.trim() || profile.username?.trim() || '';
}

function result(
  profile: ValidProfile,
  status: HealthStatus,
  code: string,
  message: string,
  started?: number,
): HealthResult {
  return {
    ...failureResult({ status, code, message }),
    username: profile.username || null,
    flow: 'oauth',
    ...(started !== undefined ? { latencyMs: Math.round(performance.now() - started) } : {}),
    checkedAt: new Date().toISOString(),
  };
}

const loginHint = (target: string): string => `run \`${sfLoginCommand(target).join(' ')}\` in a terminal`;

function refused(h: HealthResult): boolean {
  return h.status === 'signin-required' && REFUSED_ACCESS_TOKEN_CODES.includes(h.code ?? '');
}

async function refresh(profile: ValidProfile, _secrets: OrgSecrets, opts: LoginOptions): Promise<SignInRefresh> {
  const log = opts.log ?? nullLogger;
  const check = (access: SfAccess): Promise<HealthResult> =>
    restHealth(
      {
        instanceUrl: access.instanceUrl,
        accessToken: access.accessToken,
        apiVersion: profile.apiVersion,
        fetchLimits: opts.fetchLimits,
        username: profile.username || access.username,
      },
      opts,
    );
  const target = sfTargetOf(profile);
  const started = performance.now();
  log.info(`asking the sf CLI for an access token of ${target}`);
  const known =
    profile.instanceUrl && profile.username
      ? { instanceUrl: profile.instanceUrl, username: profile.username }
      : undefined;
  const ask = (withKnown: boolean): Promise<SfAccess> =>
    sfAccessToken(target, {
      sfPath: opts.sfCliPath,
      ...(opts.sfCliEnv ? { env: opts.sfCliEnv } : {}),
      signal: opts.signal,
      timeoutMs: Math.max(opts.timeoutMs ?? 0, DEFAULT_SF_TIMEOUT_MS),
      log: log.child('sf'),
      ...(withKnown && known ? { known } : {}),
    });
  let access: SfAccess;
  let health: HealthResult;
  try {
    access = await ask(true);
    health = await check(access);
    if (known && refused(health)) {
      // The env file's instance URL may be old (an org that moved): ask sf for its own before giving up.
      log.info('the token was refused at the known instance URL: asking sf for the org’s URL too');
      access = await ask(false);
      health = await check(access);
    }
  } catch (e) {
    if (isAbortError(e))
      return {
        health: result(profile, 'network-error', 'ABORT_ERR', 'Cancelled while the sf CLI was asked.', started),
      };
    if (!isSfCliError(e)) {
      log.error(`the sf CLI failed: ${safeErrorMessage(e)}`);
      return { health: result(profile, 'login-failed', 'SF_REFUSED', safeErrorMessage(e), started) };
    }
    log.info(`the sf CLI gave no token: ${e.code}`);
    const status: HealthStatus =
      e.code === 'SF_SIGNIN_REQUIRED' || e.code === 'SF_ORG_UNKNOWN'
        ? 'signin-required'
        : e.code === 'SF_TIMEOUT'
          ? 'network-error'
          : 'login-failed';
    return { health: result(profile, status, e.code, e.message, started) };
  }
  if (refused(health)) {
    log.info(`the sf CLI's token for ${target} is refused (${health.code}); sf said stale: ${access.maybeStale}`);
    return {
      health: result(
        profile,
        'signin-required',
        SF_TOKEN_STALE,
        `The Salesforce CLI could not refresh its login to "${target}" (its access token is expired and it has no working refresh token): ${loginHint(target)}, then try again.`,
        started,
      ),
    };
  }
  const env: Record<string, string> = {
    SF_ACCESS_TOKEN: access.accessToken,
    SF_INSTANCE_URL: access.instanceUrl,
    SF_USERNAME: health.status === 'ok' && health.username ? health.username : access.username,
  };
  return { health, env, secrets: { accessToken: access.accessToken } };
}

export const sfCliSignIn: SignInMethod = {
  ...SIGN_IN_INFO['sf-cli'],
  precheck(profile) {
    if (!sfTargetOf(profile))
      return {
        code: 'MISSING_TARGET_ORG',
        field: 'SF_TARGET_ORG',
        message:
          "No sf CLI org is named: set SF_TARGET_ORG to the org's alias or username (`sf org list` shows them), or import it (token-relay sf-import --target-org ALIAS).",
      };
    return undefined;
  },
  async test(profile, secrets, opts) {
    const log = opts.log ?? nullLogger;
    const target = sfTargetOf(profile);
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
      if (!refused(h)) return h;
      if (!opts.onRefresh)
        return {
          ...h,
          message: `The access token has expired: ask the sf CLI for a fresh one (token-relay login does; or token-relay sf-import --target-org ${target}).`,
        };
      log.info(`the access token was refused (${h.code}): asking the sf CLI`);
    } else if (!opts.onRefresh) {
      return result(
        profile,
        'signin-required',
        'NO_ACCESS_TOKEN',
        `No access token is kept for this org (SF_ACCESS_TOKEN / SF_INSTANCE_URL): import it from the sf CLI (token-relay sf-import --target-org ${target}).`,
      );
    }
    const r = await refresh(profile, secrets, opts);
    if (r.env) {
      try {
        await opts.onRefresh(r);
      } catch (e) {
        log.error(`the refreshed token could not be stored: ${safeErrorMessage(e)}`);
        return result(
          profile,
          'login-failed',
          REFRESH_NOT_SAVED,
          `The sf CLI gave a fresh access token, but it could not be stored: ${safeErrorMessage(e)}`,
        );
      }
    }
    return r.health;
  },
  refresh,
};
