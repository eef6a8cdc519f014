/**
 * "Sign in with Microsoft" for the mailbox (issue 16 item 1) inside the real extension host.
 *
 * The real Microsoft sign-in cannot run here (no Microsoft account, no network, and its consent and browser pages
 * need a person), so this test registers a FAKE authentication provider under a test provider id and points
 * `tokenRelay.mailbox.microsoft.authProvider` at it: the extension's code path is the real one (getSession with the
 * IMAP scope, offline_access and the VSCODE_CLIENT_ID / VSCODE_TENANT scopes; the session's access token to imapflow
 * as XOAUTH2). The fake provider's tokens come from the Microsoft identity emulator of the host stack, and the IMAP
 * server is Dovecot with its oauth2 passdb asking that emulator, so the token is really checked by a real server.
 *
 * VS Code asks the user (a modal dialog) before an extension first uses an account of a provider; a test cannot
 * click it. The test grants the access the way the Accounts menu does without a dialog: a plain getSession() records
 * a sign-in request, and its command (`<provider>:<extension>:signIn<n>`) creates the session and allows the
 * extension. The renewal after a refused token uses forceNewSession, which always shows that dialog: it is covered by
 * test/integration/microsoft-cli.test.ts (the same withTokenRenewal) instead.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { control, env, getApi, resetState, waitForMessage } from './helpers';

const PROVIDER = 'tokenrelay-test-microsoft';
const USER = 'm365@contoso.test';
const CLIENT_ID = 'host-tests-app';
const TENANT = 'contoso.test';
const IMAP_SCOPE = 'https://outlook.office.com/IMAP.AccessAsUser.All';
const EXTENSION_KEY = 'token-relay.token-relay-salesforce';

class FakeMicrosoftProvider implements vscode.AuthenticationProvider, vscode.Disposable {
  readonly sessions: vscode.AuthenticationSession[] = [];
  readonly scopesAsked: string[][] = [];
  readonly issued: string[] = [];
  private readonly emitter = new vscode.EventEmitter<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>();
  readonly onDidChangeSessions = this.emitter.event;
  private n = 0;

  getSessions(scopes?: readonly string[]): Promise<vscode.AuthenticationSession[]> {
    if (scopes) this.scopesAsked.push([...scopes]);
    const key = scopes ? [...scopes].sort().join(' ') : undefined;
    return Promise.resolve(this.sessions.filter((s) => !key || [...s.scopes].sort().join(' ') === key));
  }

  async createSession(scopes: readonly string[]): Promise<vscode.AuthenticationSession> {
    this.scopesAsked.push([...scopes]);
    const accessToken = await control<string>('msIssueToken', USER);
    this.issued.push(accessToken);
    const session: vscode.AuthenticationSession = {
      id: `fake-${++this.n}`,
      accessToken,
      account: { id: USER, label: USER },
      scopes: [...scopes],
    };
    this.sessions.push(session);
    this.emitter.fire({ added: [session], removed: [], changed: [] });
    return session;
  }

  removeSession(id: string): Promise<void> {
    const i = this.sessions.findIndex((s) => s.id === id);
    if (i >= 0) {
      const [s] = this.sessions.splice(i, 1);
      this.emitter.fire({ added: [], removed: [s!], changed: [] });
    }
    return Promise.resolve();
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

describe('Mailbox: Sign in with Microsoft (fake auth provider, XOAUTH2 against Dovecot)', function () {
  this.timeout(90_000);
  const fake = new FakeMicrosoftProvider();
  let registration: vscode.Disposable | undefined;
  const c = () => vscode.workspace.getConfiguration('tokenRelay');
  const g = vscode.ConfigurationTarget.Global;
  const KEYS = [
    'mailbox.auth',
    'mailbox.microsoft.clientId',
    'mailbox.microsoft.tenant',
    'mailbox.microsoft.authProvider',
    'mailbox.allowInsecureTls',
    'mailbox.preset',
    'mailbox.host',
    'mailbox.port',
    'mailbox.security',
    'mailbox.user',
  ];

  before(async function () {
    if (process.env.TOKEN_RELAY_TEST_IMAP_KIND !== 'dovecot') {
      // The embedded IMAP server has no XOAUTH2 against an identity server.
      this.skip();
    }
    registration = vscode.authentication.registerAuthenticationProvider(PROVIDER, 'Fake Microsoft (tests)', fake);
    await resetState(await getApi());
    await c().update('mailbox.microsoft.authProvider', PROVIDER, g);
    await c().update('mailbox.allowInsecureTls', true, g); // the test server's certificate is self-signed
    // A custom server (the test's Dovecot) is offered "Sign in with Microsoft" once an app registration is set.
    await c().update('mailbox.microsoft.clientId', CLIENT_ID, g);
  });

  after(async () => {
    for (const k of KEYS) await c().update(k, undefined, g);
    registration?.dispose();
    fake.dispose();
  });

  it('Set Up Mailbox → "Sign in with Microsoft" → Test Mailbox succeeds over XOAUTH2; no token in the log', async () => {
    const a = await getApi();
    const scopes = [IMAP_SCOPE, 'offline_access', `VSCODE_CLIENT_ID:${CLIENT_ID}`, `VSCODE_TENANT:${TENANT}`];
    // Grant the extension access to the (fake) account without VS Code's consent dialog (see the file comment).
    assert.equal(await vscode.authentication.getSession(PROVIDER, scopes, {}), undefined);
    const commands = await vscode.commands.getCommands(false);
    const signIn = commands.find((id) => id.startsWith(`${PROVIDER}:${EXTENSION_KEY}:signIn`));
    assert.ok(signIn, `no sign-in request command among ${commands.filter((x) => x.startsWith(PROVIDER)).join(', ')}`);
    await vscode.commands.executeCommand(signIn);
    assert.equal(fake.sessions.length, 1);

    const before = await control<{ introspections: number }>('msStats');
    a.scripted.reset();
    a.scripted.picks.push('Other IMAP server…', 'STARTTLS', 'Sign in with Microsoft');
    a.scripted.inputs.push(env('TOKEN_RELAY_TEST_IMAP_HOST'), env('TOKEN_RELAY_TEST_IMAP_PORT'), CLIENT_ID, TENANT);
    const ok = await vscode.commands.executeCommand<boolean>('tokenRelay.setUpMailbox');
    assert.equal(ok, true, JSON.stringify(a.scripted.messages));

    assert.equal(c().get('mailbox.auth'), 'microsoft');
    assert.equal(c().get('mailbox.user'), USER, 'the signed-in account became the mailbox user');
    assert.equal(c().get('mailbox.microsoft.clientId'), CLIENT_ID);
    assert.equal(c().get('mailbox.microsoft.tenant'), TENANT);
    assert.equal(await a.services.secrets.getMailboxSecret(), undefined, 'no password kept');
    // The scopes the extension asked for: IMAP, offline_access, the app registration and the tenant.
    assert.ok(
      fake.scopesAsked.some((s) => scopes.every((x) => s.includes(x))),
      JSON.stringify(fake.scopesAsked),
    );
    // Set Up Mailbox ran Test Mailbox: Dovecot accepted the fake provider's token (checked at the emulator).
    const works = await waitForMessage(a, /Mailbox works: Connected to .* as m365@contoso\.test/);
    assert.equal(works.severity, 'info');
    const after = await control<{ introspections: number }>('msStats');
    assert.ok(after.introspections > before.introspections, 'Dovecot asked the identity emulator about the token');

    // And the command on its own, with the session VS Code keeps.
    a.scripted.reset();
    assert.equal(await vscode.commands.executeCommand('tokenRelay.testMailbox'), true);

    // Canary: the access token never reaches the log or a message.
    const text = [...a.logLines(), ...a.scripted.messages.map((m) => m.text)].join('\n');
    for (const t of fake.issued) assert.ok(!text.includes(t), 'an access token reached the log or a message');
  });
});
