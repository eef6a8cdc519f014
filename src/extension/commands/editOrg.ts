/** Salesforce: Edit Org — pick a field of the org and change it; secrets go to SecretStorage. */
import * as vscode from 'vscode';
import { normalizeApiVersion, type OrgProfile } from '../../core/profile';
import { validateLoginUrl } from '../../core/resetUrl';
import type { Services } from '../services';
import { CommandIds } from '../settings';
import { reportError, resolveOrg } from './common';
import { validateLoginUrlInput, validateUsernameInput } from './addOrg';
import { saveProfile } from '../profileEdits';
import { listMailboxes, migrateLegacyMailbox } from '../mailbox';
import { DEFAULT_MAILBOX_ID, describeMailbox, mailboxIdOf } from '../mailboxesModel';

type Field =
  | 'name'
  | 'loginUrl'
  | 'username'
  | 'password'
  | 'token'
  | 'apiVersion'
  | 'clientId'
  | 'clientSecret'
  | 'mfaForApi'
  | 'envPath'
  | 'mailbox'
  | 'ui';

export async function editOrg(s: Services, id?: unknown, field?: unknown): Promise<void> {
  const org = await resolveOrg(
    s,
    id,
    typeof id === 'string' ? undefined : s.profiles.list().length > 1 ? vscode.l10n.t('Edit which org?') : undefined,
  );
  if (!org) return;
  const secrets = await s.secrets.getOrgSecrets(org.id);
  await migrateLegacyMailbox(s.secrets, s.logger).catch(() => undefined);
  const mailboxes = listMailboxes();
  const mailboxId = mailboxIdOf(org);
  const mailboxLabel =
    mailboxes.find((m) => m.id === mailboxId)?.label ??
    (mailboxId === DEFAULT_MAILBOX_ID ? vscode.l10n.t('not set up') : vscode.l10n.t('{0} (missing)', mailboxId));
  const set = vscode.l10n.t('set');
  const notSet = vscode.l10n.t('not set');
  const items: Array<vscode.QuickPickItem & { field: Field }> = [
    { field: 'name', label: vscode.l10n.t('Name'), description: org.name },
    { field: 'loginUrl', label: vscode.l10n.t('Login URL'), description: org.loginUrl },
    { field: 'username', label: vscode.l10n.t('Username'), description: org.username },
    { field: 'password', label: vscode.l10n.t('Password'), description: secrets.password ? set : notSet },
    {
      field: 'token',
      label: vscode.l10n.t('Security token'),
      description: org.mfaForApi ? vscode.l10n.t('not used (MFA for API logins)') : secrets.token ? set : notSet,
    },
    {
      field: 'mfaForApi',
      label: vscode.l10n.t('MFA for API logins'),
      description: org.mfaForApi ? vscode.l10n.t('on: an authenticator code replaces the token') : vscode.l10n.t('off'),
    },
    {
      field: 'apiVersion',
      label: vscode.l10n.t('API version'),
      description: org.apiVersion ?? vscode.l10n.t('default'),
    },
    { field: 'clientId', label: vscode.l10n.t('OAuth client id'), description: org.clientId ?? notSet },
    {
      field: 'clientSecret',
      label: vscode.l10n.t('OAuth client secret'),
      description: secrets.clientSecret ? set : notSet,
    },
    { field: 'envPath', label: vscode.l10n.t('.env path'), description: org.envPath ?? vscode.l10n.t('default') },
    { field: 'mailbox', label: vscode.l10n.t('Mailbox'), description: mailboxLabel },
    {
      field: 'ui',
      label: vscode.l10n.t('User interface'),
      description: org.ui === 'classic' ? vscode.l10n.t('Salesforce Classic') : vscode.l10n.t('Lightning Experience'),
    },
  ];
  const chosen =
    typeof field === 'string'
      ? items.find((i) => i.field === field)
      : await s.ui.pick(items, {
          title: vscode.l10n.t('Edit Org: {0}', org.name),
          placeHolder: vscode.l10n.t('Which setting?'),
        });
  if (!chosen) return;
  try {
    const next: OrgProfile = { ...org };
    const title = vscode.l10n.t('Edit Org {0}: {1}', org.name, chosen.label);
    switch (chosen.field) {
      case 'token':
        await vscode.commands.executeCommand(CommandIds.enterTokenManually, org.id);
        return;
      case 'password':
      case 'clientSecret': {
        const v = await s.ui.input({
          title,
          password: true,
          prompt: vscode.l10n.t('Stored in SecretStorage. Leave empty to delete it.'),
        });
        if (v === undefined) return;
        await s.monitor.hold(() =>
          s.secrets.setSecret(org.id, chosen.field as 'password' | 'clientSecret', v || undefined),
        );
        void s.monitor.check({ reason: `${chosen.field} changed` });
        void s.ui.message('info', vscode.l10n.t('{0} of {1} updated.', chosen.label, org.name));
        return;
      }
      case 'mailbox': {
        const setUp = { label: `$(add) ${vscode.l10n.t('New mailbox…')}`, id: '' };
        const p = await s.ui.pick(
          [
            ...mailboxes.map((m) => ({
              label: m.label,
              description: describeMailbox(m),
              id: m.id,
              picked: m.id === mailboxId,
            })),
            setUp,
          ],
          { title, placeHolder: vscode.l10n.t('Where does the token mail of {0} arrive?', org.name) },
        );
        if (!p) return;
        if (!p.id) {
          await vscode.commands.executeCommand(CommandIds.setUpMailbox);
          return;
        }
        if (p.id === DEFAULT_MAILBOX_ID) delete next.mailbox;
        else next.mailbox = p.id;
        break;
      }
      case 'ui': {
        const lightning = { label: vscode.l10n.t('Lightning Experience'), value: 'lightning' as const };
        const classic = {
          label: vscode.l10n.t('Salesforce Classic'),
          description: vscode.l10n.t('Reset Token opens the Classic "Reset My Security Token" page'),
          value: 'classic' as const,
        };
        const p = await s.ui.pick([lightning, classic], { title });
        if (!p) return;
        if (p.value === 'classic') next.ui = 'classic';
        else delete next.ui;
        break;
      }
      case 'mfaForApi': {
        const on = { label: vscode.l10n.t('On: password + authenticator code'), value: true };
        const off = { label: vscode.l10n.t('Off: password + security token'), value: false };
        const p = await s.ui.pick([off, on], { title });
        if (!p) return;
        if (p.value) next.mfaForApi = true;
        else delete next.mfaForApi;
        break;
      }
      default: {
        const current = (org as unknown as Record<string, string | undefined>)[chosen.field] ?? '';
        const validate =
          chosen.field === 'loginUrl'
            ? validateLoginUrlInput
            : chosen.field === 'username'
              ? validateUsernameInput
              : chosen.field === 'name'
                ? (v: string) => (v.trim() ? undefined : vscode.l10n.t('Enter a name.'))
                : chosen.field === 'apiVersion'
                  ? (v: string) => {
                      if (!v.trim()) return undefined;
                      try {
                        normalizeApiVersion(v);
                        return undefined;
                      } catch (e) {
                        return (e as Error).message;
                      }
                    }
                  : undefined;
        const v = await s.ui.input({ title, value: current, validateInput: validate });
        if (v === undefined) return;
        const t = v.trim();
        if (chosen.field === 'loginUrl') next.loginUrl = validateLoginUrl(t);
        else if (chosen.field === 'apiVersion') {
          if (t) next.apiVersion = normalizeApiVersion(t);
          else delete next.apiVersion;
        } else if (chosen.field === 'clientId' || chosen.field === 'envPath') {
          if (t) next[chosen.field] = t;
          else delete next[chosen.field];
        } else next[chosen.field] = t;
      }
    }
    await saveProfile(s.profiles, next);
    void s.monitor.check({ reason: `${chosen.field} changed` });
    void s.ui.message('info', vscode.l10n.t('{0} of {1} updated.', chosen.label, next.name));
  } catch (err) {
    await reportError(s, vscode.l10n.t('Could not edit the org'), err);
  }
}
