/**
 * Every `tokenRelay.*` setting key, command id and SecretStorage key in one place.
 * The manifest (package.json `contributes.configuration`) declares the same keys.
 */
import * as vscode from 'vscode';

export const SECTION = 'tokenRelay';

/** Keys relative to the `tokenRelay` section. */
export const SettingKeys = {
  /** OrgProfile[] without secrets. */
  orgs: 'orgs',
  /** id of the active org; resource-scoped, so a folder of a multi-root workspace can bind its own. */
  activeOrg: 'activeOrg',
  /** Re-test the login every N minutes (0 = off). */
  healthCheckInterval: 'healthCheck.intervalMinutes',
  /** Re-test when .env or the secrets change. */
  healthCheckOnChange: 'healthCheck.onChange',
  /** Which keys besides the token are written to .env: 'username' | 'password' | 'loginUrl'. */
  envWriteKeys: 'env.writeKeys',
  /** Variable names used in .env. */
  envVariableNames: 'env.variableNames',
  /** Default .env path relative to the workspace folder. */
  envPath: 'env.path',
  mailboxPreset: 'mailbox.preset',
  mailboxHost: 'mailbox.host',
  mailboxPort: 'mailbox.port',
  mailboxSecurity: 'mailbox.security',
  mailboxUser: 'mailbox.user',
  mailboxInsecureTls: 'mailbox.allowInsecureTls',
  mailboxFolders: 'mailbox.folders',
  mailboxAfterSuccess: 'mailbox.afterSuccess',
  /** The mailboxes (one per org): id, label, server, user, watch options; secrets in SecretStorage per id. */
  mailboxes: 'mailboxes',
  resetTimeout: 'reset.timeoutSeconds',
  resetRequireDkim: 'reset.requireDkim',
  /** The loopback port of the OAuth redirect `http://localhost:<port>/OauthRedirect` (the External Client App lists it). */
  oauthCallbackPort: 'oauth.callbackPort',
  /** The org's session timeout in minutes (how long an OAuth access token lives); 0 = unknown (15 min assumed). */
  oauthLifetime: 'oauth.lifetimeMinutes',
  /** How Switch to OAuth gets the browser's answer: `auto` (loopback unless remote), `loopback`, `paste`. */
  oauthRedirect: 'oauth.redirect',
  /** The receiving server's authserv-id(s) whose Authentication-Results header counts (user setting only). */
  resetAuthservId: 'reset.authservId',
  /** The user's own address that forwards the token mail (user setting only). */
  resetForwardedFrom: 'reset.forwardedFrom',
  /** The Application (client) id of the user's own Entra ID app registration (`VSCODE_CLIENT_ID:` scope). */
  mailboxMicrosoftClientId: 'mailbox.microsoft.clientId',
  /** The tenant of the Microsoft sign-in (`VSCODE_TENANT:` scope): organizations, common, consumers, an id or domain. */
  mailboxMicrosoftTenant: 'mailbox.microsoft.tenant',
  /** The VS Code authentication provider id of the Microsoft sign-in (default `microsoft`, the built-in one). */
  mailboxMicrosoftProvider: 'mailbox.microsoft.authProvider',
  /** Remind (once per org per 30 days) that a working password login's method is being retired (default true). */
  retirementReminders: 'retirementReminders',
  /** The sf CLI executable (machine setting; else SF_CLI_PATH, else `sf` on PATH): Import Org from Salesforce CLI. */
  sfCliPath: 'sfCli.path',
} as const;

export const CommandIds = {
  resetToken: 'tokenRelay.resetToken',
  testConnection: 'tokenRelay.testConnection',
  enterTokenManually: 'tokenRelay.enterTokenManually',
  addOrg: 'tokenRelay.addOrg',
  editOrg: 'tokenRelay.editOrg',
  removeOrg: 'tokenRelay.removeOrg',
  switchOrg: 'tokenRelay.switchOrg',
  importOrgFromEnv: 'tokenRelay.importOrgFromEnv',
  setUpMailbox: 'tokenRelay.setUpMailbox',
  testMailbox: 'tokenRelay.testMailbox',
  writeEnv: 'tokenRelay.writeEnv',
  showLog: 'tokenRelay.showLog',
  switchToOAuth: 'tokenRelay.switchToOAuth',
  signOut: 'tokenRelay.signOut',
  importFromSfCli: 'tokenRelay.importFromSfCli',
  checkReadiness: 'tokenRelay.checkReadiness',
} as const;
export type CommandId = (typeof CommandIds)[keyof typeof CommandIds];
export const ALL_COMMAND_IDS: readonly CommandId[] = Object.values(CommandIds);

export const STATUS_BAR_ID = 'tokenRelay.health';
/** workspaceState key: the user answered "Don't Ask Again" to the startup offer to import the workspace .env. */
export const IMPORT_OFFERED_STATE_KEY = 'tokenRelay.importOffered';
/** workspaceState key: the user answered "Don't Ask Again" to the startup offer to import the project's sf CLI org. */
export const SF_IMPORT_OFFERED_STATE_KEY = 'tokenRelay.sfImportOffered';
export const LOG_CHANNEL_NAME = 'Token Relay';
/** globalState key per profile: when the retirement reminder was last shown (ISO), or 'off' ("Don't Remind Me"). */
export function retirementReminderKey(profileId: string): string {
  return `${SECTION}.retirementReminder.${profileId}`;
}
/** The virtual documents of the readiness report (Check Readiness). */
export const READINESS_SCHEME = 'token-relay-readiness';

/** `tokenRelay.retirementReminders` (default true). */
export function retirementRemindersOn(): boolean {
  return config().get<boolean>(SettingKeys.retirementReminders, true) !== false;
}

/**
 * SecretStorage keys: per profile `tokenRelay.<profileId>.<kind>`; per mailbox `tokenRelay.mailbox.<id>.password`. `refreshToken` and
 * `accessToken` belong to orgs that sign in with OAuth (SF_AUTH=oauth).
 */
export type ProfileSecretKind = 'password' | 'token' | 'clientSecret' | 'refreshToken' | 'accessToken';
export const PROFILE_SECRET_KINDS: readonly ProfileSecretKind[] = [
  'password',
  'token',
  'clientSecret',
  'refreshToken',
  'accessToken',
];
export function profileSecretKey(profileId: string, kind: ProfileSecretKind): string {
  return `${SECTION}.${profileId}.${kind}`;
}
/** The old single mailbox's secret: read (and moved) as the secret of the mailbox `default`. */
export const MAILBOX_SECRET_KEY = `${SECTION}.mailbox.password`;
/** The secret (password / app password) of the mailbox `id` of `tokenRelay.mailboxes`. */
export function mailboxSecretKey(id: string): string {
  return `${SECTION}.mailbox.${id}.password`;
}
/** Matches mailboxSecretKey(id) (ids: mailboxesModel.ts MAILBOX_ID_RE); a profile key never does (ids have `@`). */
export const MAILBOX_SECRET_KEY_RE = /^tokenRelay\.mailbox\.([a-z0-9][a-z0-9_-]{0,39})\.password$/;

export interface EnvVariableNames {
  username: string;
  password: string;
  token: string;
  loginUrl: string;
}
export const DEFAULT_ENV_NAMES: EnvVariableNames = {
  username: 'SF_USERNAME',
  password: 'SF_PASSWORD',
  token: 'SF_SECURITY_TOKEN',
  loginUrl: 'SF_LOGIN_URL',
};
export type OptionalEnvKey = 'username' | 'password' | 'loginUrl';

export function config(scope?: vscode.ConfigurationScope): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION, scope);
}

export function envVariableNames(scope?: vscode.ConfigurationScope): EnvVariableNames {
  const v = config(scope).get<Partial<EnvVariableNames>>(SettingKeys.envVariableNames) ?? {};
  const out = { ...DEFAULT_ENV_NAMES };
  for (const k of Object.keys(out) as Array<keyof EnvVariableNames>) {
    const name = v[k];
    if (typeof name === 'string' && /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) out[k] = name;
  }
  return out;
}

export function envWriteKeys(scope?: vscode.ConfigurationScope): OptionalEnvKey[] {
  const v = config(scope).get<unknown>(SettingKeys.envWriteKeys);
  const allowed: OptionalEnvKey[] = ['username', 'password', 'loginUrl'];
  if (!Array.isArray(v)) return ['username', 'loginUrl'];
  // Writing the password into a file is the user's own decision: a workspace (a cloned repo's
  // .vscode/settings.json) must not be able to make us copy the password out of SecretStorage.
  const userValue = config(scope).inspect<unknown>(SettingKeys.envWriteKeys)?.globalValue;
  const userAllowsPassword = Array.isArray(userValue) && userValue.includes('password');
  return allowed.filter((k) => v.includes(k) && (k !== 'password' || userAllowsPassword));
}

/** Require `Authentication-Results: dkim=pass header.d=salesforce.com` on the token mail (user setting only). */
export function resetRequireDkim(): boolean {
  return config().inspect<boolean>(SettingKeys.resetRequireDkim)?.globalValue === true;
}

/** Comma-separated values of a user-level string setting (a workspace cannot widen what counts as trusted). */
function userList(key: string, check: RegExp): string[] | undefined {
  const v = config().inspect<unknown>(key)?.globalValue;
  if (typeof v !== 'string') return undefined;
  const items = v
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x && x.length <= 253 && check.test(x));
  return items.length ? items : undefined;
}

/** `tokenRelay.reset.authservId`: the receiving server's authserv-id(s) (default: the IMAP host's domain). */
export function resetAuthservId(): string[] | undefined {
  return userList(SettingKeys.resetAuthservId, /^[A-Za-z0-9._-]+$/);
}

/** `tokenRelay.reset.forwardedFrom`: the user's own forwarding address(es); their forwards count. */
export function resetForwardedFrom(): string[] | undefined {
  return userList(SettingKeys.resetForwardedFrom, /^[^\s@<>(),;:"]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$/);
}

export function healthIntervalMinutes(): number {
  const n = Number(config().get<number>(SettingKeys.healthCheckInterval) ?? 30);
  return Number.isFinite(n) && n > 0 ? Math.max(0.05, n) : 0; // at most every 3 s
}

export function resetTimeoutMs(): number {
  const n = Number(config().get<number>(SettingKeys.resetTimeout) ?? 600);
  return (Number.isFinite(n) && n > 0 ? n : 600) * 1000;
}

/** VS Code's own proxy settings, passed to testLogin and the mailbox. */
export function proxySettings(): { url?: string; strictSSL?: boolean } {
  const http = vscode.workspace.getConfiguration('http');
  const url = (http.get<string>('proxy') ?? '').trim();
  const strictSSL = http.get<boolean>('proxyStrictSSL', true);
  return { url: url || undefined, strictSSL };
}

/** The OAuth callback port (`tokenRelay.oauth.callbackPort`, default 1717 as the sf CLI's). */
export function oauthCallbackPort(): number {
  const n = Number(config().get<number>(SettingKeys.oauthCallbackPort) ?? 1717);
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : 1717;
}

/**
 * `tokenRelay.oauth.redirect`: `auto` (default: the loopback listener, or pasting on a remote extension host),
 * `loopback` (always listen, e.g. code-server on your own machine, whose browser reaches its localhost), `paste`.
 */
export function oauthRedirectMode(): 'auto' | 'loopback' | 'paste' {
  const v = config().get<string>(SettingKeys.oauthRedirect);
  return v === 'loopback' || v === 'paste' ? v : 'auto';
}

/** The org's session timeout (`tokenRelay.oauth.lifetimeMinutes`) in ms, or undefined when not set (0). */
export function oauthSessionTimeoutMs(): number | undefined {
  const n = Number(config().get<number>(SettingKeys.oauthLifetime) ?? 0);
  return Number.isFinite(n) && n > 0 ? Math.max(0.05, n) * 60_000 : undefined; // at least 3 s
}

/** `tokenRelay.sfCli.path` (machine scope: a workspace cannot name the program we run), or undefined. */
export function sfCliPathSetting(): string | undefined {
  const v = config().inspect<string>(SettingKeys.sfCliPath)?.globalValue;
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}
