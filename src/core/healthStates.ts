/**
 * The health states of CONTRACTS.md ("Health states"): their labels, icons and fixes, and the HealthResult
 * shape. Split from health.ts (which re-exports all of it) so that the extension's activation bundle can show a
 * state without carrying the login-error classification, which only the lazily loaded login code needs.
 * Pure: no imports at all.
 */
export type HealthStatus =
  | 'ok'
  | 'invalid-login'
  | 'token-required'
  | 'password-expired'
  | 'locked-out'
  | 'soap-login-disabled'
  | 'api-disabled'
  | 'org-unavailable'
  | 'rate-limited'
  | 'unexpected-response'
  | 'network-error'
  | 'login-failed'
  | 'signin-required'
  | 'app-not-approved';

export type FixId =
  | 'reset-token'
  | 'edit-org'
  | 'open-salesforce'
  | 'wait'
  | 'oauth-settings'
  | 'proxy-settings'
  | 'retry'
  | 'show-log'
  | 'switch-to-oauth'
  | 'use-sf-cli';

/** `icon` is a VS Code codicon id (render as `$(<icon>)`). */
export const HEALTH_STATES: Record<HealthStatus, { label: string; icon: string; fixes: FixId[] }> = {
  ok: { label: 'Connected', icon: 'pass', fixes: [] },
  'invalid-login': { label: 'Login rejected', icon: 'error', fixes: ['reset-token', 'edit-org'] },
  'token-required': { label: 'Token required', icon: 'key', fixes: ['reset-token'] },
  'password-expired': { label: 'Password expired', icon: 'lock', fixes: ['open-salesforce', 'edit-org'] },
  'locked-out': { label: 'Locked out', icon: 'lock', fixes: ['wait'] },
  'soap-login-disabled': { label: 'SOAP login disabled', icon: 'circle-slash', fixes: ['oauth-settings', 'edit-org'] },
  'api-disabled': { label: 'API disabled', icon: 'circle-slash', fixes: ['show-log'] },
  'org-unavailable': { label: 'Org unavailable', icon: 'cloud', fixes: ['retry'] },
  'rate-limited': { label: 'Rate limited', icon: 'watch', fixes: ['retry'] },
  'unexpected-response': { label: 'Unexpected response', icon: 'question', fixes: ['proxy-settings', 'show-log'] },
  'network-error': { label: 'Network error', icon: 'debug-disconnect', fixes: ['proxy-settings', 'retry'] },
  'login-failed': { label: 'Login failed', icon: 'warning', fixes: ['show-log'] },
  'signin-required': { label: 'Sign-in required', icon: 'account', fixes: ['switch-to-oauth'] },
  'app-not-approved': { label: 'App not approved', icon: 'shield', fixes: ['oauth-settings', 'show-log'] },
};

export interface HealthResult {
  status: HealthStatus;
  label: string;
  code: string | null;
  message: string;
  organizationId: string | null;
  username: string | null;
  instanceUrl: string | null;
  orgName?: string | null;
  userFullName?: string | null;
  apiRequestsRemaining?: number | null;
  apiRequestsMax?: number | null;
  latencyMs?: number;
  checkedAt?: string;
  flow?: 'soap' | 'oauth';
  /**
   * A working login whose method Salesforce is retiring (CONTRACTS: stays `ok`): one sentence with the date and
   * the ways forward (src/core/retirement.ts). Absent otherwise.
   */
  notice?: string;
}

/**
 * The CLI `login` JSON: exactly the first seven keys of a HealthResult, in order, null when unknown; plus `notice`
 * only when the result carries one (a working login of a retiring method).
 */
export function healthJson(r: HealthResult): Pick<
  HealthResult,
  'status' | 'label' | 'code' | 'message' | 'organizationId' | 'username' | 'instanceUrl'
> & {
  notice?: string;
} {
  return {
    status: r.status,
    label: r.label,
    code: r.code ?? null,
    message: r.message,
    organizationId: r.organizationId ?? null,
    username: r.username ?? null,
    instanceUrl: r.instanceUrl ?? null,
    ...(r.notice ? { notice: r.notice } : {}),
  };
}

/** The status bar text: `<label> · <org name>` (org name when known). */
export function statusBarText(r: Pick<HealthResult, 'status' | 'orgName'>, fallbackOrgName?: string): string {
  const label = HEALTH_STATES[r.status].label;
  const org = r.orgName || fallbackOrgName;
  return org ? `${label} · ${org}` : label;
}
