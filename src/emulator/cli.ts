/**
 * `npm run emulator` / `token-relay-emulator` (dist/emulator.js): the Salesforce emulator alone.
 *
 *   token-relay-emulator [--port N] [--host H] [--config FILE.json] [--token-delay MS] [--slow-ms MS]
 *                        [--outbox DIR]
 *                        [--imap-host H --imap-user U [--imap-port P] [--imap-tls implicit|starttls|none]
 *                         [--insecure-tls] [--imap-folder INBOX]]      (password: EMULATOR_IMAP_PASSWORD)
 *
 * Prints the URL on the first stdout line, then one JSON object with the reset page, the OAuth
 * clients, the External Client Apps (`oauthApps`: the demo ECA's client id) and the demo users (their fake
 * passwords and current tokens); without a config, the demo also has an org whose SOAP login is off, with a user
 * who signs in by the web-server flow (`oauthEnv`). Mails (token and verification
 * code) go to the IMAP mailbox by APPEND (imapflow via loadImapflow()) and/or to --outbox as .eml files.
 * Ctrl-C stops it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  startEmulator,
  parseEmulatorConfig,
  DEMO_ORG,
  DEMO_SOAP_OFF_ORG,
  DEMO_SOAP_OFF_USER,
  DEMO_USERS,
  type EmulatorConfig,
} from './index';
import { loadImapflow } from '../lazy';

const HELP = `token-relay-emulator: a loopback Salesforce emulator (SOAP login, OAuth with PKCE, identity, limits, reset page)

Options:
  --port N               port (default: a free one)
  --host H               address to bind (default 127.0.0.1; loopback only is recommended)
  --config FILE          JSON { "orgs": [...], "users": [...], "apps": [...], "tokenActivationDelayMs": N,
                         "accessTokenLifetimeMs": N }
  --token-delay MS       a new token works only MS after the reset (default 0)
  --slow-ms MS           delay of the "slow" fault (default 120000)
  --outbox DIR           also write every mail as DIR/<n>-<kind>.eml
  --imap-host H          deliver mails by IMAP APPEND to this server...
  --imap-port P          (default 993 with implicit TLS, 143 otherwise)
  --imap-user U          ...into this user's mailbox (password: EMULATOR_IMAP_PASSWORD)
  --imap-tls MODE        implicit | starttls | none (default implicit on 993, else starttls)
  --insecure-tls         accept any IMAP server certificate (local test servers)
  --imap-folder NAME     folder to append to (default INBOX)
  --help
`;

function parse(argv: string[]): Map<string, string | true> {
  const out = new Map<string, string | true>();
  const booleans = new Set(['insecure-tls', 'help']);
  const values = new Set([
    'port',
    'host',
    'config',
    'token-delay',
    'slow-ms',
    'outbox',
    'imap-host',
    'imap-port',
    'imap-user',
    'imap-tls',
    'imap-folder',
  ]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h') {
      out.set('help', true);
      continue;
    }
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}"`);
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (booleans.has(name)) out.set(name, true);
    else if (values.has(name)) {
      const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new Error(`--${name} needs a value`);
      out.set(name, v);
    } else throw new Error(`unknown option --${name}`);
  }
  return out;
}

function num(flags: Map<string, string | true>, name: string): number | undefined {
  const v = flags.get(name);
  if (typeof v !== 'string') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
  return n;
}

async function main(): Promise<number> {
  let flags: Map<string, string | true>;
  try {
    flags = parse(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`token-relay-emulator: ${(e as Error).message}\n${HELP}`);
    return 2;
  }
  if (flags.has('help')) {
    process.stdout.write(HELP);
    return 0;
  }
  let cfg: EmulatorConfig = {};
  const configFile = flags.get('config');
  if (typeof configFile === 'string') {
    try {
      cfg = parseEmulatorConfig(readFileSync(configFile, 'utf8'));
    } catch (e) {
      process.stderr.write(`token-relay-emulator: cannot use ${configFile}: ${(e as Error).message}\n`);
      return 2;
    }
  }
  try {
    cfg.port = num(flags, 'port') ?? cfg.port;
    cfg.tokenActivationDelayMs = num(flags, 'token-delay') ?? cfg.tokenActivationDelayMs;
    cfg.slowMs = num(flags, 'slow-ms') ?? cfg.slowMs;
  } catch (e) {
    process.stderr.write(`token-relay-emulator: ${(e as Error).message}\n`);
    return 2;
  }
  if (typeof flags.get('host') === 'string') cfg.host = flags.get('host') as string;

  const deliverers: Array<(to: string, raw: Buffer) => Promise<void>> = [];
  const outbox = flags.get('outbox');
  if (typeof outbox === 'string') {
    mkdirSync(outbox, { recursive: true });
    let n = 0;
    deliverers.push(async (to, raw) => {
      n++;
      const kind = /^Subject:.*verif/im.test(raw.toString('utf8', 0, 4096)) ? 'verification-code' : 'token';
      const file = path.join(outbox, `${String(n).padStart(3, '0')}-${kind}.eml`);
      writeFileSync(file, raw, { mode: 0o600 });
      process.stderr.write(`emulator: mail to ${to} written to ${file}\n`);
    });
  }
  const imapHost = flags.get('imap-host');
  if (typeof imapHost === 'string') {
    const user = flags.get('imap-user');
    if (typeof user !== 'string') {
      process.stderr.write(
        'token-relay-emulator: --imap-host needs --imap-user (password in EMULATOR_IMAP_PASSWORD)\n',
      );
      return 2;
    }
    const tlsMode =
      (flags.get('imap-tls') as string | undefined) ??
      ((num(flags, 'imap-port') ?? 993) === 993 ? 'implicit' : 'starttls');
    if (!['implicit', 'starttls', 'none'].includes(tlsMode)) {
      process.stderr.write('token-relay-emulator: --imap-tls must be implicit, starttls or none\n');
      return 2;
    }
    const port = num(flags, 'imap-port') ?? (tlsMode === 'implicit' ? 993 : 143);
    const folder = (flags.get('imap-folder') as string | undefined) ?? 'INBOX';
    const insecure = flags.get('insecure-tls') === true;
    deliverers.push(async (to, raw) => {
      const { ImapFlow } = loadImapflow();
      const client = new ImapFlow({
        host: imapHost,
        port,
        secure: tlsMode === 'implicit',
        doSTARTTLS: tlsMode === 'starttls' ? true : tlsMode === 'none' ? false : undefined,
        auth: { user, pass: process.env.EMULATOR_IMAP_PASSWORD ?? '' },
        tls: { rejectUnauthorized: !insecure },
        logger: false,
      });
      await client.connect();
      try {
        await client.append(folder, raw, [], new Date());
      } finally {
        await client.logout().catch(() => client.close());
      }
      process.stderr.write(`emulator: mail to ${to} appended to ${user}'s ${folder} on ${imapHost}:${port}\n`);
    });
  }
  if (deliverers.length) {
    cfg.deliver = async (to, raw) => {
      for (const d of deliverers) await d(to, raw);
    };
  }
  cfg.log = (line) => process.stderr.write(line + '\n');
  if (!cfg.users?.length && !cfg.orgs?.length) {
    // The demo: Acme (SOAP login on) with its users, and Nimbus Labs (SOAP login off) whose user signs in with OAuth.
    cfg.orgs = [DEMO_ORG, DEMO_SOAP_OFF_ORG];
    cfg.users = [...DEMO_USERS, DEMO_SOAP_OFF_USER];
  }
  if (!cfg.users?.length) cfg.users = DEMO_USERS;

  const emu = await startEmulator(cfg);
  process.stdout.write(emu.url + '\n');
  const clients = (cfg.orgs ?? [DEMO_ORG]).flatMap((o) => o.clients ?? []);
  const oauthUser = emu.users().find((u) => u.username === DEMO_SOAP_OFF_USER.username)?.username;
  process.stdout.write(
    JSON.stringify(
      {
        url: emu.url,
        resetPage: emu.resetPageUrl(),
        soapLogin: `${emu.url}/services/Soap/u/64.0`,
        oauthClients: clients,
        oauthApps: emu.apps().map((a) => ({
          clientId: a.clientId,
          name: a.name,
          confidential: a.confidential,
          callbackUrls: a.callbackUrls,
          rotateRefreshTokens: a.rotateRefreshTokens,
        })),
        users: emu.users().map((u) => ({
          username: u.username,
          password: u.password,
          token: u.token,
          email: u.email,
          org: u.orgName,
          orgId: u.orgId,
          language: u.language,
        })),
        env: { SF_LOGIN_URL: emu.url, SF_USERNAME: emu.users()[0]?.username },
        ...(oauthUser && emu.apps()[0]
          ? {
              oauthEnv: {
                SF_AUTH: 'oauth',
                SF_LOGIN_URL: emu.url,
                SF_CLIENT_ID: emu.apps()[0]!.clientId,
                SF_USERNAME: oauthUser,
              },
            }
          : {}),
      },
      null,
      2,
    ) + '\n',
  );
  for (const a of emu.apps())
    process.stderr.write(
      `emulator: External Client App "${a.name}": client id ${a.clientId} (callback ${a.callbackUrls.join(', ')})\n`,
    );
  if (!deliverers.length)
    process.stderr.write('emulator: no --imap-host or --outbox given: token mails stay in memory only\n');
  process.stderr.write('emulator: running; Ctrl-C stops it\n');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await emu.close();
  process.stderr.write('emulator: stopped\n');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`token-relay-emulator: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
