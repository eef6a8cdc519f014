/**
 * The OAuth web-server flow's face (SF_AUTH=oauth): the pure pieces from src/core/oauth.ts, the token/revoke/REST
 * client (./client.ts) and the loopback listener (./loopback.ts). Callers (CLI `oauth login|refresh|logout`, the
 * extension's Switch to OAuth / Sign Out) import from here; the sign-in method is ../signin/oauth.ts.
 */
export {
  CALLBACK_PATH,
  DEFAULT_CALLBACK_PORT,
  DEFAULT_SCOPE,
  DEFAULT_SIGNIN_TIMEOUT_MS,
  OAuthError,
  type OAuthErrorKind,
  type TokenSet,
  type AuthorizeUrlOptions,
  authorizeUrl,
  challengeOf,
  isOAuthError,
  makeState,
  makeVerifier,
  parseRedirect,
  parseTokenResponse,
  redirectUriFor,
  MIN_SESSION_TIMEOUT_MS,
  type LifetimeEstimate,
  defaultLifetime,
  observeExpiry,
  refreshDelayMs,
} from '../../core/oauth';
export { type Clock, type RefreshOutcome, RefreshTimer, systemClock } from '../../core/refreshTimer';
export {
  DEFAULT_OAUTH_TIMEOUT_MS,
  type RequestOpts,
  exchangeCode,
  refreshTokens,
  restHealth,
  revokeToken,
} from './client';
export { type CallbackListener, listenForCallback } from './loopback';
