/**
 * Reading the sf CLI's `--json` output (pure: no I/O). sf prints one JSON object: `{ status, result, warnings }` on
 * success, `{ name, message, exitCode, status, code, … }` on failure. Everything here is defensive: fields may be
 * missing or of another type in other CLI versions, warnings are ignored, and every secret-looking value is
 * registered with the redactor as soon as it is seen (before anything could log it).
 */
import { redact, registerSecret } from '../core/redact';

export type SfCliErrorCode =
  | 'SF_NOT_FOUND'
  | 'SF_ORG_UNKNOWN'
  | 'SF_SIGNIN_REQUIRED'
  | 'SF_REFUSED'
  | 'SF_TIMEOUT'
  | 'SF_BAD_OUTPUT';

export class SfCliError extends Error {
  override name = 'SfCliError';
  code: SfCliErrorCode;
  /** sf's own exit code, when it ran. */
  exitCode?: number;
  /** sf's error name (NamedOrgNotFoundError …), when it printed one. */
  sfName?: string;
  constructor(
    code: SfCliErrorCode,
    message: string,
    extra: { exitCode?: number; sfName?: string; cause?: unknown } = {},
  ) {
    super(redact(message), extra.cause === undefined ? undefined : { cause: extra.cause });
    this.code = code;
    if (extra.exitCode !== undefined) this.exitCode = extra.exitCode;
    if (extra.sfName) this.sfName = extra.sfName;
  }
}

/** Matches by class or by name + code (works across the extension's bundles). */
export function isSfCliError(e: unknown): e is SfCliError {
  if (e instanceof SfCliError) return true;
  return (
    e instanceof Error &&
    e.name === 'SfCliError' &&
    typeof (e as { code?: unknown }).code === 'string' &&
    String((e as { code?: unknown }).code).startsWith('SF_')
  );
}

export interface SfOrg {
  username: string;
  alias?: string;
  instanceUrl?: string;
  loginUrl?: string;
  orgId?: string;
  isSandbox: boolean;
  isScratch: boolean;
  isDevHub: boolean;
  isDefault: boolean;
  connectedStatus?: string;
}

export interface SfAccess {
  accessToken: string;
  instanceUrl: string;
  username: string;
  orgId?: string;
  via: 'show-access-token' | 'org-display';
  /** sf said it could not refresh (the token may be expired): check it before use. */
  maybeStale: boolean;
}

/** The fix for an org whose sf login is gone: the command a user runs (also what the extension opens a terminal with). */
export function sfLoginCommand(targetOrg: string, instanceUrl?: string): string[] {
  const cmd = ['sf', 'org', 'login', 'web', '-o', targetOrg];
  if (instanceUrl) cmd.push('--instance-url', instanceUrl);
  return cmd;
}

const SECRET_FIELDS = new Set(['accessToken', 'refreshToken', 'sfdxAuthUrl', 'password', 'clientSecret']);

/** Registers every secret-looking string in a parsed sf answer (any depth). Not the `[REDACTED] …` placeholders. */
export function registerSfSecrets(v: unknown, depth = 0): void {
  if (depth > 8 || !v || typeof v !== 'object') return;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x === 'string') {
      if (SECRET_FIELDS.has(k) && !isRedactedText(x)) registerSecret(x, { ephemeral: k === 'accessToken' });
    } else if (x && typeof x === 'object') registerSfSecrets(x, depth + 1);
  }
}

/** sf ≥ 2026-05 prints `[REDACTED] Use 'sf org auth show-access-token' to view` instead of a token. */
export function isRedactedText(s: string): boolean {
  return /^\s*\[?redacted\b/i.test(s) || /\bredacted\b/i.test(s);
}

/** What a Salesforce access token looks like: `<15/18-char org id>!<rest>`; anything else is no token. */
export function looksLikeAccessToken(s: unknown): s is string {
  return typeof s === 'string' && /^00D[A-Za-z0-9]{12,15}![.\w]+$/.test(s.trim());
}

/**
 * The JSON object of sf's output: the whole text, else the span from the first `{` to the last `}` (a CLI that
 * prints a banner or a warning line around it). undefined when there is none.
 */
export function parseSfJson(text: string): Record<string, unknown> | undefined {
  const t = text.trim();
  if (!t) return undefined;
  const tryParse = (s: string): Record<string, unknown> | undefined => {
    try {
      const v: unknown = JSON.parse(s);
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  const whole = tryParse(t);
  if (whole) return whole;
  const a = t.indexOf('{');
  const b = t.lastIndexOf('}');
  return a >= 0 && b > a ? tryParse(t.slice(a, b + 1)) : undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const bool = (v: unknown): boolean => v === true || v === 'true';

/** The `result` of a successful answer (status 0), else undefined. */
export function sfResult(json: Record<string, unknown>): unknown {
  const status = json.status;
  if (status !== undefined && status !== 0 && status !== '0') return undefined;
  return json.result;
}

/** `sf org list --json` → orgs, deduplicated by username (an org is in several groups: nonScratchOrgs + devHubs …). */
export function orgsFromList(result: unknown): SfOrg[] {
  if (!result || typeof result !== 'object') return [];
  const groups = Array.isArray(result) ? [result] : Object.values(result as Record<string, unknown>);
  const byUser = new Map<string, SfOrg>();
  for (const g of groups) {
    if (!Array.isArray(g)) continue;
    for (const raw of g as unknown[]) {
      if (!raw || typeof raw !== 'object') continue;
      const o = raw as Record<string, unknown>;
      registerSfSecrets(o);
      const username = str(o.username);
      if (!username) continue;
      const prev = byUser.get(username.toLowerCase());
      const org: SfOrg = {
        username,
        alias: str(o.alias),
        instanceUrl: str(o.instanceUrl),
        loginUrl: str(o.loginUrl),
        orgId: str(o.orgId),
        isSandbox: bool(o.isSandbox),
        isScratch: bool(o.isScratch) || str(o.expirationDate) !== undefined,
        isDevHub: bool(o.isDevHub),
        isDefault: bool(o.isDefaultUsername) || bool(o.isDefault),
        connectedStatus: str(o.connectedStatus) ?? str(o.status),
      };
      if (!prev) {
        byUser.set(username.toLowerCase(), org);
        continue;
      }
      // Merge: a flag true in any group stays true; the first non-empty value of a field wins.
      byUser.set(username.toLowerCase(), {
        username: prev.username,
        alias: prev.alias ?? org.alias,
        instanceUrl: prev.instanceUrl ?? org.instanceUrl,
        loginUrl: prev.loginUrl ?? org.loginUrl,
        orgId: prev.orgId ?? org.orgId,
        isSandbox: prev.isSandbox || org.isSandbox,
        isScratch: prev.isScratch || org.isScratch,
        isDevHub: prev.isDevHub || org.isDevHub,
        isDefault: prev.isDefault || org.isDefault,
        connectedStatus: prev.connectedStatus ?? org.connectedStatus,
      });
    }
  }
  return [...byUser.values()].map(dropUndefined);
}

function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

/** Did sf say it could not refresh? (show-access-token's warning; org display's connectedStatus.) */
export function saysStale(json: Record<string, unknown>): boolean {
  const warnings = Array.isArray(json.warnings) ? json.warnings : [];
  if (warnings.some((w) => typeof w === 'string' && /unable to refresh|may be stale/i.test(w))) return true;
  const r = json.result as Record<string, unknown> | undefined;
  const cs = r && typeof r === 'object' ? str(r.connectedStatus) : undefined;
  return !!cs && /unable to refresh|expired|invalid_grant/i.test(cs);
}

/** The access token of a `show-access-token` / `org display` result (registered), or undefined (none, or redacted). */
export function accessTokenOf(result: unknown): string | undefined {
  if (!result || typeof result !== 'object') return undefined;
  registerSfSecrets(result);
  const t = str((result as Record<string, unknown>).accessToken);
  return t && !isRedactedText(t) ? t : undefined;
}

/** `org display --json` result → the org's non-secret fields. */
export function orgFromDisplay(result: unknown): {
  username?: string;
  instanceUrl?: string;
  orgId?: string;
  connectedStatus?: string;
} {
  if (!result || typeof result !== 'object') return {};
  const r = result as Record<string, unknown>;
  return dropUndefined({
    username: str(r.username),
    instanceUrl: str(r.instanceUrl),
    orgId: str(r.id) ?? str(r.orgId),
    connectedStatus: str(r.connectedStatus),
  });
}

/** sf's failure answer → our error (codes: unknown org, sign-in gone, anything else refused). */
export function errorFromSf(
  json: Record<string, unknown> | undefined,
  exitCode: number | undefined,
  targetOrg: string | undefined,
  stderr: string,
): SfCliError {
  const name = json ? (str(json.name) ?? str(json.code)) : undefined;
  const rawMessage = json ? (str(json.message) ?? '') : '';
  const message = rawMessage
    .replace(/\s+See more help with --help\s*$/i, '')
    .replace(/\s+/g, ' ')
    .trim();
  const alias = targetOrg ?? '<alias>';
  const extra = { exitCode, sfName: name };
  if (
    /NamedOrgNotFound|NoAuthInfoFound|AuthInfoNotFound|NoOrgFound|NoDefaultEnvError|NoUsernameFound/i.test(
      name ?? '',
    ) ||
    /No authorization information found|no (default|target) (org|username)/i.test(message)
  ) {
    return new SfCliError(
      'SF_ORG_UNKNOWN',
      targetOrg
        ? `The Salesforce CLI does not know the org "${targetOrg}" (${message || name}). Log it in with \`sf org login web -o ${targetOrg}\`, or pick an alias from \`sf org list\`.`
        : `The Salesforce CLI has no default org (${message || name}). Pass --target-org ALIAS.`,
      extra,
    );
  }
  if (
    /RefreshTokenAuthError|AuthTimeout|invalid_grant|expired access\/refresh token|inactive|session (has )?expired/i.test(
      `${name ?? ''} ${message}`,
    )
  ) {
    return new SfCliError(
      'SF_SIGNIN_REQUIRED',
      `The Salesforce CLI's login to "${alias}" has expired (${message || name}). Run \`${sfLoginCommand(alias).join(' ')}\` and try again.`,
      extra,
    );
  }
  if (!json) {
    const first = stderr
      .split(/\r?\n/)
      .find((l) => l.trim())
      ?.trim();
    return new SfCliError(
      'SF_BAD_OUTPUT',
      `The Salesforce CLI gave no JSON answer (exit ${exitCode ?? 'unknown'})${first ? `: ${first.slice(0, 300)}` : ''}.`,
      extra,
    );
  }
  return new SfCliError(
    'SF_REFUSED',
    `The Salesforce CLI refused (${name ?? `exit ${exitCode ?? 'unknown'}`}): ${message || 'no message'}`,
    extra,
  );
}

/** sf's answer to a command it does not have (an older CLI without `org auth show-access-token`). */
export function isUnknownCommand(exitCode: number | undefined, stdout: string, stderr: string): boolean {
  const text = `${stdout}\n${stderr}`;
  return exitCode === 127 || /is not a sf command|command .* not found|CommandNotFound/i.test(text);
}
