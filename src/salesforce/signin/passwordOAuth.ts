/**
 * Sign-in method `password-oauth`: the OAuth username-password flow through a connected app (SF_CLIENT_ID +
 * SF_CLIENT_SECRET) with password + security token. Org name and user come from identity() plus a one-row query of
 * Organization. Salesforce switches the flow off on 2027-02-20.
 */
import { registerSecret } from '../../core/redact';
import { SIGN_IN_INFO } from '../../core/signin';
import { OAUTH_TOKEN_PATH } from '../transport';
import { passwordLogin, passwordPrecheck } from './shared';
import type { SignInMethod } from './types';

export const passwordOAuthSignIn: SignInMethod = {
  ...SIGN_IN_INFO['password-oauth'],
  precheck: (profile, secrets) => passwordPrecheck(profile, secrets, true),
  test(profile, secrets, opts) {
    return passwordLogin(profile, secrets, opts, {
      flow: 'oauth',
      describe: 'username-password OAuth login',
      connection: {
        oauth2: { loginUrl: profile.loginUrl, clientId: profile.clientId!, clientSecret: secrets.clientSecret! },
      },
      onResponse: (req, res) => {
        if (res.statusCode < 300 && OAUTH_TOKEN_PATH.test(req.url)) {
          try {
            const j = JSON.parse(res.body) as { access_token?: string; refresh_token?: string };
            registerSecret(j.access_token, { ephemeral: true });
            registerSecret(j.refresh_token, { ephemeral: true });
          } catch {
            /* checked by the transport */
          }
        }
      },
    });
  },
};
