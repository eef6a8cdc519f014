/**
 * The CLI credential store (CONTRACTS "Sign-in methods"): refresh tokens of `oauth` sign-ins in `$TOKEN_RELAY_HOME`
 * (default `$XDG_CONFIG_HOME/token-relay`, else `~/.config/token-relay`), 0700/0600, one entry per login URL +
 * client id + username, atomic writes, a lock across processes for rotation.
 */
export { CredentialStore, CredentialStoreError, isCredentialStoreError } from './store';
export type { CredentialStoreOptions, StoredCredential } from './store';
export { canonicalKey, credentialHome, entryName, normalizeLoginUrl } from './paths';
export type { CredentialKey } from './paths';
