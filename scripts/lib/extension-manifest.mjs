// Sets the extension's fields of package.json (contributes, activationEvents, l10n) and writes
// package.nls.json from one source. Run under the npm lock:
//   flock /work/main/.npm.lock node scripts/lib/extension-manifest.mjs
// It reads package.json, replaces only those fields, and writes it back with the same formatting.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pkgPath = path.join(root, 'package.json');
const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
const nls = {};
const t = (key, text) => {
  nls[key] = text;
  return `%${key}%`;
};

const commands = [
  ['resetToken', 'Reset Token', '$(key)'],
  ['testConnection', 'Test Connection', '$(refresh)'],
  ['enterTokenManually', 'Enter Token Manually'],
  ['addOrg', 'Add Org', '$(add)'],
  ['editOrg', 'Edit Org', '$(edit)'],
  ['removeOrg', 'Remove Org', '$(trash)'],
  ['switchOrg', 'Switch Org', '$(arrow-swap)'],
  ['importOrgFromEnv', 'Import Org from .env'],
  ['setUpMailbox', 'Set Up Mailbox', '$(mail)'],
  ['testMailbox', 'Test Mailbox'],
  ['writeEnv', 'Write .env'],
  ['showLog', 'Show Log', '$(output)'],
].map(([id, title, icon]) => ({
  command: `tokenRelay.${id}`,
  title: t(`command.${id}`, title),
  category: t('category', 'Salesforce'),
  ...(icon ? { icon } : {}),
}));

const envKeyEnum = ['username', 'password', 'loginUrl'];
const configuration = {
  title: t('config.title', 'Token Relay for Salesforce'),
  properties: {
    'tokenRelay.orgs': {
      type: 'array',
      scope: 'application',
      default: [],
      order: 0,
      markdownDescription: t(
        'config.orgs',
        "Your Salesforce orgs (no secrets here: passwords, tokens and client secrets live in VS Code's SecretStorage). Use **Salesforce: Add Org**, **Edit Org** and **Import Org from .env** rather than editing this list by hand. User settings only, so a workspace cannot redirect your credentials.",
      ),
      items: {
        type: 'object',
        required: ['id', 'name', 'loginUrl', 'username'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', description: t('config.orgs.id', 'Stable id; also the SecretStorage key prefix.') },
          name: { type: 'string', description: t('config.orgs.name', 'Shown in the status bar.') },
          loginUrl: {
            type: 'string',
            format: 'uri',
            markdownDescription: t(
              'config.orgs.loginUrl',
              'Where to log in: your My Domain URL (`https://<name>.my.salesforce.com`), `https://login.salesforce.com` or `https://test.salesforce.com`.',
            ),
          },
          username: { type: 'string', description: t('config.orgs.username', 'Salesforce username.') },
          apiVersion: {
            type: 'string',
            pattern: '^v?\\d{2,3}(\\.\\d)?$',
            markdownDescription: t(
              'config.orgs.apiVersion',
              'API version for the login test (default `64.0`, the last with SOAP `login()`).',
            ),
          },
          clientId: {
            type: 'string',
            markdownDescription: t(
              'config.orgs.clientId',
              'OAuth connected app client id. With a client secret (in SecretStorage) the OAuth username-password flow is used instead of SOAP `login()`.',
            ),
          },
          mfaForApi: {
            type: 'boolean',
            markdownDescription: t(
              'config.orgs.mfaForApi',
              'The user has *Multi-Factor Authentication for API Logins*: there is no security token; **Test Connection** asks for the authenticator code.',
            ),
          },
          envPath: {
            type: 'string',
            markdownDescription: t(
              'config.orgs.envPath',
              'The `.env` file of this org, relative to the workspace folder (default: `#tokenRelay.env.path#`).',
            ),
          },
        },
      },
    },
    'tokenRelay.activeOrg': {
      type: 'string',
      scope: 'resource',
      default: '',
      order: 1,
      markdownDescription: t(
        'config.activeOrg',
        'The id of the org Token Relay works with. Set per workspace, or per folder in a multi-root workspace, with **Salesforce: Switch Org**. Empty: the first org.',
      ),
    },
    'tokenRelay.healthCheck.intervalMinutes': {
      type: 'number',
      default: 30,
      minimum: 0,
      order: 10,
      markdownDescription: t(
        'config.interval',
        'Re-test the login every this many minutes (`0` = never). Tests never overlap; in Restricted Mode nothing is tested automatically.',
      ),
    },
    'tokenRelay.healthCheck.onChange': {
      type: 'boolean',
      default: true,
      order: 11,
      markdownDescription: t(
        'config.onChange',
        'Re-test the login when `.env` changes or the secrets change (also from another window).',
      ),
    },
    'tokenRelay.env.path': {
      type: 'string',
      scope: 'resource',
      default: '.env',
      order: 20,
      markdownDescription: t('config.envPath', 'The `.env` file Token Relay writes, relative to the workspace folder.'),
    },
    'tokenRelay.env.writeKeys': {
      type: 'array',
      scope: 'resource',
      uniqueItems: true,
      items: {
        type: 'string',
        enum: envKeyEnum,
        enumDescriptions: [
          t('config.writeKeys.username', 'The username'),
          t('config.writeKeys.password', 'The password (from SecretStorage)'),
          t('config.writeKeys.loginUrl', 'The login URL'),
        ],
      },
      default: ['username', 'loginUrl'],
      order: 21,
      markdownDescription: t(
        'config.writeKeys',
        'What Token Relay writes to `.env` besides the security token (always written). Only these keys change; every other line stays byte for byte.',
      ),
    },
    'tokenRelay.env.variableNames': {
      type: 'object',
      scope: 'resource',
      additionalProperties: false,
      properties: {
        username: { type: 'string', default: 'SF_USERNAME' },
        password: { type: 'string', default: 'SF_PASSWORD' },
        token: { type: 'string', default: 'SF_SECURITY_TOKEN' },
        loginUrl: { type: 'string', default: 'SF_LOGIN_URL' },
      },
      default: {
        username: 'SF_USERNAME',
        password: 'SF_PASSWORD',
        token: 'SF_SECURITY_TOKEN',
        loginUrl: 'SF_LOGIN_URL',
      },
      order: 22,
      markdownDescription: t('config.variableNames', 'The variable names used in `.env`.'),
    },
    'tokenRelay.mailbox.preset': {
      type: 'string',
      scope: 'application',
      enum: ['gmail', 'outlook', 'icloud', 'yahoo', 'fastmail', 'custom'],
      enumDescriptions: [
        'imap.gmail.com:993',
        'outlook.office365.com:993',
        'imap.mail.me.com:993',
        'imap.mail.yahoo.com:993',
        'imap.fastmail.com:993',
        t('config.preset.custom', 'Host, port and security below'),
      ],
      default: 'custom',
      order: 30,
      markdownDescription: t(
        'config.preset',
        'Your mail provider; **Salesforce: Set Up Mailbox** fills this in. The mailbox password lives in SecretStorage.',
      ),
    },
    'tokenRelay.mailbox.host': {
      type: 'string',
      scope: 'application',
      default: '',
      order: 31,
      markdownDescription: t('config.host', 'IMAP server (for the `custom` preset).'),
    },
    'tokenRelay.mailbox.port': {
      type: 'number',
      scope: 'application',
      default: 0,
      minimum: 0,
      maximum: 65535,
      order: 32,
      markdownDescription: t('config.port', 'IMAP port (`0` = 993 for TLS, 143 for STARTTLS).'),
    },
    'tokenRelay.mailbox.security': {
      type: 'string',
      scope: 'application',
      enum: ['implicit', 'starttls'],
      default: 'implicit',
      order: 33,
      markdownDescription: t('config.security', '`implicit` TLS (port 993) or `starttls` (port 143).'),
    },
    'tokenRelay.mailbox.user': {
      type: 'string',
      scope: 'application',
      default: '',
      order: 34,
      markdownDescription: t('config.user', 'The mailbox login, usually your email address.'),
    },
    'tokenRelay.mailbox.allowInsecureTls': {
      type: 'boolean',
      scope: 'application',
      default: false,
      order: 35,
      markdownDescription: t(
        'config.insecureTls',
        'Accept a mail server certificate that cannot be verified (self-signed test servers only). Prefer adding its CA to `NODE_EXTRA_CA_CERTS`.',
      ),
    },
    'tokenRelay.mailbox.folders': {
      type: 'array',
      scope: 'application',
      items: { type: 'string' },
      default: [],
      order: 36,
      markdownDescription: t(
        'config.folders',
        'Folders to watch besides INBOX (e.g. a folder a filter moves Salesforce mail to).',
      ),
    },
    'tokenRelay.mailbox.afterSuccess': {
      type: 'string',
      scope: 'application',
      enum: ['leave', 'seen', 'delete'],
      default: 'leave',
      order: 37,
      markdownDescription: t('config.afterSuccess', 'What to do with the token mail once the token is stored.'),
    },
    'tokenRelay.reset.requireDkim': {
      type: 'boolean',
      scope: 'application',
      default: false,
      order: 41,
      markdownDescription: t(
        'config.requireDkim',
        'Accept the token mail only when your mail server recorded `Authentication-Results: dkim=pass header.d=salesforce.com`. Turn on when your provider adds that header (Gmail, Microsoft 365 do); otherwise every token mail is refused.',
      ),
    },
    'tokenRelay.reset.timeoutSeconds': {
      type: 'number',
      default: 600,
      minimum: 30,
      order: 40,
      markdownDescription: t(
        'config.timeout',
        'How long **Reset Token** waits for the token mail before offering **Enter Token Manually**.',
      ),
    },
  },
};

const step = (id, title, description, events, media) => ({
  id,
  title: t(`walkthrough.${id}.title`, title),
  description: t(`walkthrough.${id}.description`, description),
  media: { markdown: `media/walkthrough/${media}.md` },
  completionEvents: events,
});

pkg.activationEvents = ['onStartupFinished', 'workspaceContains:.env'];
pkg.l10n = './l10n';
pkg.contributes = {
  ...pkg.contributes,
  commands,
  configuration,
  menus: {
    'explorer/context': [
      { command: 'tokenRelay.importOrgFromEnv', when: 'resourceFilename == .env', group: 'tokenRelay@1' },
      { command: 'tokenRelay.writeEnv', when: 'resourceFilename == .env', group: 'tokenRelay@2' },
    ],
    'editor/title/context': [
      { command: 'tokenRelay.importOrgFromEnv', when: 'resourceFilename == .env', group: 'tokenRelay@1' },
    ],
    // Every command stays in the palette in Restricted Mode too: the ones that would write explain why they don't.
  },
  walkthroughs: [
    {
      id: 'tokenRelay.gettingStarted',
      title: t('walkthrough.title', 'Keep your Salesforce token fresh'),
      description: t(
        'walkthrough.description',
        'From your org to a green status bar: set up the org and the mailbox once, then one command resets the security token.',
      ),
      steps: [
        step(
          'addOrg',
          'Add your org',
          'Tell Token Relay where you log in and as whom. The password goes to SecretStorage.\n[Add Org](command:tokenRelay.addOrg)\nAlready have a .env with SF_USERNAME? [Import it](command:tokenRelay.importOrgFromEnv)',
          ['onCommand:tokenRelay.addOrg', 'onCommand:tokenRelay.importOrgFromEnv'],
          'addOrg',
        ),
        step(
          'setUpMailbox',
          'Connect your mailbox',
          'The token arrives by mail. Token Relay watches your inbox over IMAP (read-only) for it.\n[Set Up Mailbox](command:tokenRelay.setUpMailbox)',
          ['onCommand:tokenRelay.setUpMailbox'],
          'setUpMailbox',
        ),
        step(
          'testMailbox',
          'Test the mailbox',
          'Check the connection before you need it.\n[Test Mailbox](command:tokenRelay.testMailbox)',
          ['onCommand:tokenRelay.testMailbox'],
          'testMailbox',
        ),
        step(
          'resetToken',
          'Reset the token',
          'Token Relay starts watching, opens the reset page, catches the mail, stores the token and writes .env.\n[Reset Token](command:tokenRelay.resetToken)',
          ['onCommand:tokenRelay.resetToken', 'onCommand:tokenRelay.enterTokenManually'],
          'resetToken',
        ),
        step(
          'statusBar',
          'See it green',
          'The status bar shows the login health of the active org. Click it to test again.\n[Test Connection](command:tokenRelay.testConnection)',
          ['onCommand:tokenRelay.testConnection'],
          'statusBar',
        ),
      ],
    },
  ],
};

writeFileSync(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
writeFileSync(path.join(root, 'package.nls.json'), `${JSON.stringify(nls, null, 2)}\n`);
console.log(
  `package.json: ${commands.length} commands, ${Object.keys(configuration.properties).length} settings, walkthrough; package.nls.json: ${Object.keys(nls).length} strings`,
);
