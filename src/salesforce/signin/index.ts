/**
 * The sign-in methods this version implements, one entry per `SF_AUTH` value (CONTRACTS "Sign-in methods").
 * `undefined`: known to the contract, not implemented yet; testLogin answers `login-failed` with code
 * AUTH_METHOD_NOT_SUPPORTED. Adding a method: its module here (a SignInMethod that spreads SIGN_IN_INFO[id] from
 * src/core/signin.ts and adds `test`, and `refresh` when it can) and its entry below.
 */
import type { AuthMethod } from '../../core/signin';
import { oauthSignIn } from './oauth';
import { passwordOAuthSignIn } from './passwordOAuth';
import { sfCliSignIn } from './sfCli';
import { soapSignIn } from './soap';
import type { SignInMethod } from './types';

export type { LoginOptions, SignInMethod, SignInRefresh } from './types';

export const SIGN_IN_METHODS: Readonly<Record<AuthMethod, SignInMethod | undefined>> = {
  password: soapSignIn,
  'password-oauth': passwordOAuthSignIn,
  oauth: oauthSignIn,
  'sf-cli': sfCliSignIn,
};
