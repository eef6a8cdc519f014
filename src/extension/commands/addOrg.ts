/**
 * Salesforce: Add Org — a short input flow: login URL, username, password, how API logins work, name.
 * Non-secret fields go to settings, the password to SecretStorage. Automation (walkthrough, tests) may pass
 * `{ name, loginUrl, username, password?, token?, mfaForApi?, apiVersion?, envPath?, clientId?, mailbox?, ui? }` instead.
 * With more than one mailbox set up, the interactive flow also asks which one gets this org's token mail.
 */
import * as vscode from 'vscode';
import { profileId, type OrgProfile } from '../../core/profile';
import { registerSecret } from '../../core/redact';
import { PRODUCTION_LOGIN_URL, SANDBOX_LOGIN_URL, validateLoginUrl } from '../../core/resetUrl';
import { validateProfileFields } from '../profileFields';
import type { Services } from '../services';
import { CommandIds } from '../settings';
import { reportError, validateTokenInput } from './common';
import { saveProfile, setActiveProfile } from '../profileEdits';
import { listMailboxes } from '../mailbox';
import { DEFAULT_MAILBOX_ID, describeMailbox, MAILBOX_ID_RE } from '../mailboxesModel';

export interface AddOrgArgs {
  name?: string;
  loginUrl: string;
  username: string;
  password?: string;
  token?: string;
  mfaForApi?: boolean;
  apiVersion?: string;
  envPath?: string;
  clientId?: string;
  /** The mailbox id (`tokenRelay.mailboxes`) the token mail arrives in; default `default`. */
  mailbox?: string;
  /** `classic`: Reset Token opens the Classic reset page. */
  ui?: 'lightning' | 'classic';
}

export function validateLoginUrlInput(v: string): string | undefined {
  try {
    validateLoginUrl(v.trim());
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export function validateUsernameInput(v: string): string | undefined {
  const t = v.trim();
  if (!t) return vscode.l10n.t('Enter your Salesforce username.');
  if (!/^[^\s@]+@[^\s@]+$/.test(t))
    return vscode.l10n.t('A Salesforce username looks like an email address, e.g. name@example.com.sandbox.');
  return undefined;
}

async function askLoginUrl(s: Services): Promise<string | undefined> {
  const prod = {
    label: vscode.l10n.t('Production or Developer Edition'),
    description: PRODUCTION_LOGIN_URL,
    url: PRODUCTION_LOGIN_URL,
  };
  const sandbox = { label: vscode.l10n.t('Sandbox'), description: SANDBOX_LOGIN_URL, url: SANDBOX_LOGIN_URL };
  const custom = { label: vscode.l10n.t('My Domain URL…'), description: 'https://<name>.my.salesforce.com', url: '' };
  const pick = await s.ui.pick([custom, prod, sandbox], {
    title: vscode.l10n.t('Add Org (1/5): where do you log in?'),
    placeHolder: vscode.l10n.t('Your My Domain URL is best: orgs can block API logins from login.salesforce.com'),
  });
  if (!pick) return undefined;
  if (pick.url) return pick.url;
  const url = await s.ui.input({
    title: vscode.l10n.t('Add Org (1/5): My Domain URL'),
    prompt: vscode.l10n.t('The address you log in at, e.g. https://acme.my.salesforce.com'),
    placeHolder: 'https://acme.my.salesforce.com',
    validateInput: validateLoginUrlInput,
  });
  return url ? validateLoginUrl(url.trim()) : undefined;
}

export async function addOrg(s: Services, arg?: unknown): Promise<OrgProfile | undefined> {
  try {
    let a: AddOrgArgs;
    if (arg && typeof arg === 'object' && typeof (arg as AddOrgArgs).username === 'string') {
      a = { ...(arg as AddOrgArgs) };
      a.loginUrl = validateLoginUrl(a.loginUrl);
    } else {
      const loginUrl = await askLoginUrl(s);
      if (!loginUrl) return undefined;
      const username = await s.ui.input({
        title: vscode.l10n.t('Add Org (2/5): username'),
        prompt: vscode.l10n.t(
          'Your Salesforce username (for a sandbox usually with its suffix, e.g. name@acme.com.dev).',
        ),
        validateInput: validateUsernameInput,
      });
      if (!username) return undefined;
      const password = await s.ui.input({
        title: vscode.l10n.t('Add Org (3/5): password'),
        prompt: vscode.l10n.t(
          "The Salesforce password of {0}. It is kept in VS Code's SecretStorage, never in settings.",
          username.trim(),
        ),
        password: true,
        validateInput: (v) => (v ? undefined : vscode.l10n.t('Enter the password.')),
      });
      if (!password) return undefined;
      registerSecret(password);
      const tokenMode = {
        label: vscode.l10n.t('Password and security token'),
        description: vscode.l10n.t('most orgs'),
        mfa: false,
      };
      const mfaMode = {
        label: vscode.l10n.t('Password and authenticator code'),
        description: vscode.l10n.t('MFA for API logins: no security token exists'),
        mfa: true,
      };
      const mode = await s.ui.pick([tokenMode, mfaMode], {
        title: vscode.l10n.t('Add Org (4/5): how does this user log in to the API?'),
      });
      if (!mode) return undefined;
      const name = await s.ui.input({
        title: vscode.l10n.t('Add Org (5/5): name'),
        prompt: vscode.l10n.t('A short name for the status bar.'),
        value: username.trim().split('@')[1]?.split('.')[0] ?? username.trim(),
        validateInput: (v) => (v.trim() ? undefined : vscode.l10n.t('Enter a name.')),
      });
      if (!name) return undefined;
      a = { name: name.trim(), loginUrl, username: username.trim(), password, mfaForApi: mode.mfa };
      const mailboxes = listMailboxes();
      if (mailboxes.length > 1 && !mode.mfa) {
        const box = await s.ui.pick(
          mailboxes.map((m) => ({ label: m.label, description: describeMailbox(m), id: m.id })),
          {
            title: vscode.l10n.t('Add Org: which mailbox gets the token mail?'),
            placeHolder: vscode.l10n.t('Salesforce mails the token to the email address of {0}.', a.username),
          },
        );
        if (!box) return undefined;
        a.mailbox = box.id;
      }
    }
    const profile: OrgProfile = {
      id: profileId(a.loginUrl, a.username),
      name: a.name?.trim() || a.username,
      loginUrl: a.loginUrl,
      username: a.username.trim(),
      ...(a.apiVersion ? { apiVersion: a.apiVersion } : {}),
      ...(a.clientId ? { clientId: a.clientId } : {}),
      ...(a.mfaForApi ? { mfaForApi: true } : {}),
      ...(a.envPath ? { envPath: a.envPath } : {}),
      ...(a.mailbox && a.mailbox.trim().toLowerCase() !== DEFAULT_MAILBOX_ID
        ? { mailbox: a.mailbox.trim().toLowerCase() }
        : {}),
      ...(a.ui === 'classic' ? { ui: 'classic' as const } : {}),
    };
    if (profile.mailbox && !MAILBOX_ID_RE.test(profile.mailbox))
      throw new Error(vscode.l10n.t('A mailbox id is lower-case letters, digits, - or _.'));
    const problem = validateProfileFields(profile);
    if (problem) throw new Error(problem);
    if (a.token && validateTokenInput(a.token)) throw new Error(validateTokenInput(a.token));
    await s.monitor.hold(async () => {
      await saveProfile(s.profiles, profile);
      await s.secrets.setOrgSecrets(profile.id, { password: a.password, token: a.token });
      await setActiveProfile(s.profiles, profile.id);
    });
    s.monitor.refreshView();
    const reset = vscode.l10n.t('Reset Token');
    const manual = vscode.l10n.t('Enter Token Manually');
    const test = vscode.l10n.t('Test Connection');
    const actions = profile.mfaForApi || a.token ? [test] : [reset, manual, test];
    void s.ui
      .message(
        'info',
        vscode.l10n.t('Org {0} added and active. Its password is in SecretStorage.', profile.name),
        ...actions,
      )
      .then(async (choice) => {
        if (choice === reset) await vscode.commands.executeCommand(CommandIds.resetToken, profile.id);
        if (choice === manual) await vscode.commands.executeCommand(CommandIds.enterTokenManually, profile.id);
        if (choice === test) await vscode.commands.executeCommand(CommandIds.testConnection);
      });
    if (a.token || profile.mfaForApi) void s.monitor.check({ reason: 'org added' });
    return profile;
  } catch (err) {
    await reportError(s, vscode.l10n.t('Could not add the org'), err);
    return undefined;
  }
}
