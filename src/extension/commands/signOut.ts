/**
 * Salesforce: Sign Out — for an org that signs in with OAuth: revokes the refresh token at the login URL
 * (`/services/oauth2/revoke`, which ends its access tokens too), forgets both tokens in SecretStorage, removes
 * SF_ACCESS_TOKEN from .env, and shows `signin-required` (fix: Switch to OAuth). A revoke that fails (offline, the
 * token already dead) is said, and the tokens are forgotten anyway.
 */
import * as vscode from 'vscode';
import { HEALTH_STATES, type HealthResult } from '../../core/healthStates';
import { safeErrorMessage } from '../../core/redact';
import { revokeToken } from '../../salesforce/oauth';
import { OAuthKeeper } from '../oauthFreshness';
import type { Services } from '../services';
import { proxySettings } from '../settings';
import { resolveOrg } from './common';

/** The code of the state after Sign Out. */
export const SIGNED_OUT = 'SIGNED_OUT';

export async function signOut(s: Services, arg?: unknown): Promise<boolean> {
  const org = await resolveOrg(s, arg);
  if (!org) return false;
  const secrets = await s.secrets.getOrgSecrets(org.id);
  if (!secrets.refreshToken && !secrets.accessToken) {
    void s.ui.message(
      'info',
      vscode.l10n.t('{0} is not signed in with OAuth: there is nothing to sign out of.', org.name),
    );
    return false;
  }
  const log = s.logger.child('oauth');
  OAuthKeeper.of(s.monitor).untrack(org.id);
  let revokeProblem: string | undefined;
  const token = secrets.refreshToken ?? secrets.accessToken!;
  try {
    await revokeToken({ loginUrl: org.loginUrl, token }, { proxy: proxySettings(), log });
  } catch (e) {
    revokeProblem = safeErrorMessage(e);
    log.warn(`${org.name}: the token was not revoked: ${revokeProblem}`);
  }
  return s.monitor.hold(async () => {
    await s.secrets.forgetOAuthTokens(org.id);
    let envNote = '';
    if (s.isTrusted()) {
      try {
        const out = await s.envWriter.write(org, {}, undefined, ['SF_ACCESS_TOKEN']);
        if (out.changed.length) envNote = vscode.l10n.t('SF_ACCESS_TOKEN removed from .env.');
      } catch (e) {
        envNote = vscode.l10n.t('.env not changed: {0}', safeErrorMessage(e));
        log.warn(envNote);
      }
    }
    const health: HealthResult = {
      status: 'signin-required',
      label: HEALTH_STATES['signin-required'].label,
      code: SIGNED_OUT,
      message: vscode.l10n.t('Signed out: sign in again with Switch to OAuth.'),
      organizationId: null,
      username: org.username,
      instanceUrl: null,
      checkedAt: s.now().toISOString(),
      flow: 'oauth',
    };
    s.monitor.setResult(org, health);
    const parts = [
      revokeProblem
        ? vscode.l10n.t(
            'Signed out of {0}: the tokens are forgotten, but Salesforce did not confirm the revocation ({1}).',
            org.name,
            revokeProblem,
          )
        : vscode.l10n.t('Signed out of {0}: the refresh token is revoked and forgotten.', org.name),
    ];
    if (envNote) parts.push(envNote);
    void s.ui.message(revokeProblem ? 'warn' : 'info', parts.join(' '));
    return true;
  });
}
