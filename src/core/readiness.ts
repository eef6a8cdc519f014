/**
 * The readiness report ("Check Readiness" in the extension, `token-relay doctor` in the CLI): per org, which method
 * it signs in with, whether that works now, the date the method stops, the days left, and the concrete next step.
 * Input: the orgs (name, username, method, login URL, env file) with their health results (or none: not tested) and
 * the day; output: rows, a JSON shape, a Markdown rendering and the doctor's verdict.
 *
 * Pure: no I/O. No secret ever enters: rows carry names, usernames, URLs, paths and health states only, and every
 * text is passed through the redactor anyway.
 */
import { HEALTH_STATES, type HealthResult, type HealthStatus } from './healthStates';
import { redact } from './redact';
import { migrationReason, RETIREMENT_WARN_DAYS, retirementStatus } from './retirement';
import { SIGN_IN_INFO, type AuthMethod } from './signin';

export interface ReadinessOrg {
  name: string;
  username: string;
  method: AuthMethod;
  loginUrl?: string;
  /** The env file (CLI: as the user named it) — used in the CLI lines of `next`. */
  dotenv?: string;
  /** `SF_TARGET_ORG` of an sf-cli org. */
  targetOrg?: string;
  /** The login test's result; undefined = not tested (offline report, or an org that cannot be tested now). */
  health?: HealthResult;
  /** Why it was not tested (shown in the report). */
  untestedReason?: string;
}

export type ReadinessStatus = HealthStatus | 'not-tested';

/** One row of the report (the JSON shape of `token-relay doctor`). */
export interface ReadinessRow {
  name: string;
  username: string;
  method: AuthMethod;
  status: ReadinessStatus;
  /** The login works now; null when not tested. */
  works: boolean | null;
  /** The day its method stops (ISO), null when it is not retiring. */
  retires: string | null;
  /** Days from today to `retires` (negative after it), null when not retiring. */
  daysLeft: number | null;
  /** The concrete next step: a command (extension) or a CLI line. */
  next: string;
}

export interface ReadinessReport {
  generatedAt: string;
  orgs: ReadinessRow[];
}

/** Where the report is read: the next steps name extension commands or CLI lines. */
export type ReadinessAudience = 'extension' | 'cli';

export interface ReadinessOptions {
  today: Date;
  audience: ReadinessAudience;
}

function quoteArg(v: string): string {
  return /^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

/** The ways forward for one org, as commands or CLI lines. */
function waysForward(o: ReadinessOrg, audience: ReadinessAudience): string {
  if (audience === 'extension')
    return 'Run "Salesforce: Switch to OAuth" (sign in through your External Client App), or log the org in with the sf CLI and run "Salesforce: Import Org from Salesforce CLI".';
  const env = o.dotenv ? ` --dotenv ${quoteArg(o.dotenv)}` : '';
  const alias = quoteArg(o.targetOrg ?? aliasOf(o));
  const url = o.loginUrl ? ` --instance-url ${quoteArg(o.loginUrl)}` : '';
  return (
    `token-relay oauth login${env} --client-id <your External Client App's consumer key>` +
    `; or: sf org login web${url} --alias ${alias} && token-relay sf-import --target-org ${alias}${env}`
  );
}

/** A short alias for the sf CLI from the username (`jane@acme.example` → `jane-acme`). */
function aliasOf(o: ReadinessOrg): string {
  const [user, domain] = o.username.toLowerCase().split('@');
  const a = [user, domain?.split('.')[0]]
    .filter(Boolean)
    .join('-')
    .replace(/[^a-z0-9-]+/g, '-');
  return a.replace(/^-+|-+$/g, '') || 'my-org';
}

/** The next step for a failed login that is not a retirement matter. */
function fixFor(o: ReadinessOrg, h: HealthResult, audience: ReadinessAudience): string {
  const cli = audience === 'cli';
  const env = o.dotenv ? ` --dotenv ${quoteArg(o.dotenv)}` : '';
  switch (h.status) {
    case 'invalid-login':
    case 'token-required':
      return cli
        ? `Reset the security token: token-relay reset${env} --imap-host <host> --imap-user <user> (or correct SF_PASSWORD).`
        : 'Run "Salesforce: Reset Token" (or correct the password with "Salesforce: Edit Org").';
    case 'password-expired':
      return `Log in to Salesforce in the browser to set a new password, then ${cli ? 'update SF_PASSWORD' : 'update it with "Salesforce: Edit Org"'}.`;
    case 'locked-out':
      return 'Wait until the lockout ends, or ask your Salesforce admin to unlock the user.';
    case 'api-disabled':
      return 'Ask your Salesforce admin to enable API access ("API Enabled" permission) for this user.';
    case 'org-unavailable':
    case 'rate-limited':
      return `Try again later${cli ? ` (token-relay login${env})` : ' ("Salesforce: Test Connection")'}.`;
    case 'network-error':
    case 'unexpected-response':
      return `Check the network, proxy and CA settings, then test again${cli ? ` (token-relay login${env})` : ''}.`;
    case 'signin-required':
      if (o.method === 'sf-cli') {
        const alias = quoteArg(o.targetOrg ?? aliasOf(o));
        return `Log in again with the sf CLI: sf org login web --alias ${alias}${cli ? ` && token-relay sf-import --target-org ${alias}${env}` : ', then run "Salesforce: Import Org from Salesforce CLI"'}.`;
      }
      return cli
        ? `Sign in again: token-relay oauth login${env}.`
        : 'Sign in again: run "Salesforce: Switch to OAuth".';
    case 'app-not-approved':
      return 'Ask your Salesforce admin to let this user use the External Client App (its policies, permission sets).';
    default:
      return cli
        ? `See what failed: token-relay login${env} --verbose.`
        : 'See what failed: run "Salesforce: Show Log".';
  }
}

/** One org → its row on `today`. */
export function readinessRow(o: ReadinessOrg, opts: ReadinessOptions): ReadinessRow {
  const retirement = retirementStatus(o.method, opts.today);
  const h = o.health;
  const works = h ? h.status === 'ok' : null;
  let next: string;
  if (h && h.status !== 'ok') {
    next = migrationReason(h) ? waysForward(o, opts.audience) : fixFor(o, h, opts.audience);
    if (retirement && !migrationReason(h)) next += ` Then move off the password before ${retirement.date}.`;
  } else if (retirement) {
    const when = retirement.past
      ? `${SIGN_IN_INFO[o.method].label} was switched off on ${retirement.date}: move now.`
      : `${SIGN_IN_INFO[o.method].label} stops ${retirement.approximate ? 'about ' : ''}${retirement.date} (${retirement.daysLeft} days).`;
    next = `${when} ${waysForward(o, opts.audience)}`;
  } else if (!h) {
    next = `Nothing to do for its sign-in method${o.untestedReason ? `; not tested: ${o.untestedReason}` : '; not tested'}.`;
  } else {
    next = 'Nothing to do: this sign-in method is not retiring.';
  }
  return {
    name: redact(o.name),
    username: redact(o.username),
    method: o.method,
    status: h ? h.status : 'not-tested',
    works,
    retires: retirement?.date ?? null,
    daysLeft: retirement?.daysLeft ?? null,
    next: redact(next),
  };
}

export function buildReadiness(orgs: readonly ReadinessOrg[], opts: ReadinessOptions): ReadinessReport {
  return { generatedAt: opts.today.toISOString(), orgs: orgs.map((o) => readinessRow(o, opts)) };
}

/** A row that needs attention: its login fails, or its method stops within RETIREMENT_WARN_DAYS days (or already did). */
export function needsAttention(r: ReadinessRow): boolean {
  return r.works === false || (r.daysLeft !== null && r.daysLeft <= RETIREMENT_WARN_DAYS);
}

/** `token-relay doctor`'s verdict: every org works (or was not tested) and none retires within 90 days. */
export function readinessOk(report: ReadinessReport): boolean {
  return report.orgs.every((r) => !needsAttention(r));
}

/** Markdown cell text: no pipes or line breaks, Markdown punctuation escaped. */
function cell(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/([\\`*_[\]|<>])/g, '\\$1')
    .trim();
}

function statusText(r: ReadinessRow): string {
  if (r.status === 'not-tested') return 'Not tested';
  const label = HEALTH_STATES[r.status]?.label ?? r.status;
  return r.works ? `✅ ${label}` : `❌ ${label}`;
}

function retiresText(r: ReadinessRow, today: Date): string {
  if (r.retires === null || r.daysLeft === null) return 'not retiring';
  const approx = retirementStatus(r.method, today)?.approximate ? '≈ ' : '';
  if (r.daysLeft < 0) return `${approx}${r.retires} (${-r.daysLeft} days ago)`;
  if (r.daysLeft === 0) return `${approx}${r.retires} (today)`;
  return `${approx}${r.retires} (${r.daysLeft} days left)${r.daysLeft <= RETIREMENT_WARN_DAYS ? ' ⚠️' : ''}`;
}

/** The report as a Markdown document (the extension's preview; `doctor --markdown`). */
export function readinessMarkdown(report: ReadinessReport): string {
  const today = new Date(report.generatedAt);
  const lines: string[] = ['# Salesforce sign-in readiness', ''];
  lines.push(`Generated ${report.generatedAt.slice(0, 16).replace('T', ' ')} UTC.`, '');
  if (!report.orgs.length) {
    lines.push('No org is set up yet.', '');
    return lines.join('\n');
  }
  const attention = report.orgs.filter(needsAttention).length;
  lines.push(
    attention
      ? `**${attention} of ${report.orgs.length} org${report.orgs.length === 1 ? '' : 's'} need${attention === 1 ? 's' : ''} attention.**`
      : `All ${report.orgs.length} org${report.orgs.length === 1 ? '' : 's'} ready.`,
    '',
  );
  lines.push('| Org | User | Sign-in method | Works now | Method stops | Next step |');
  lines.push('|---|---|---|---|---|---|');
  for (const r of report.orgs) {
    lines.push(
      `| ${cell(r.name)} | ${cell(r.username)} | ${cell(SIGN_IN_INFO[r.method]?.label ?? r.method)} | ${cell(statusText(r))} | ${cell(retiresText(r, today))} | ${cell(r.next)} |`,
    );
  }
  lines.push(
    '',
    "Why: Salesforce switches the OAuth username-password flow off on 2027-02-20 and SOAP API login() with the Summer '27 " +
      'release (Salesforce names no day; about 2027-06-01). OAuth (web-server flow with PKCE) and the sf CLI login are not affected.',
    '',
  );
  return redact(lines.join('\n'));
}
