/**
 * token-relay: argument dispatch only. Each command lives in its own file and exports
 * `run(argv, io): Promise<exitCode>` plus a `help` text.
 */
import type { CliIO } from './io';
import { EXIT, UsageError, err, terminalSafeIO } from './io';
import { safeErrorMessage } from '../core/redact';

declare const __TOKEN_RELAY_VERSION__: string | undefined;

export interface CommandModule {
  help: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  extract: async () => import('./extract'),
  env: async () => import('./env'),
  login: async () => import('./login'),
  watch: async () => import('./watch'),
  reset: async () => import('./reset'),
  oauth: async () => import('./oauth'),
  mailbox: async () => import('./mailbox'),
  doctor: async () => import('./doctor'),
  'sf-import': async () => import('./sfImport'),
};

export const MAIN_HELP = `token-relay: reset a Salesforce security token and catch it from your mailbox

Usage: token-relay <command> [options]

Commands:
  extract [--username U] FILE.eml     classify a mail (- = stdin); prints JSON
  env set [--dotenv PATH] KEY=VALUE…  set keys in an env file, keeping every other byte
  login [--dotenv PATH]               test the Salesforce login; prints health JSON
  watch --imap-host H --imap-user U   wait for the token mail over IMAP; prints JSON
  reset --imap-host H --imap-user U   open the reset page, watch, write the token, test the login
  oauth login|refresh|logout          sign in with OAuth (PKCE), refresh the access token, sign out
  mailbox login|logout --provider microsoft
                                      sign in to a Microsoft 365 / Outlook.com mailbox (device code) for
                                      watch/reset --imap-auth microsoft
  doctor [--dotenv PATH]...           each org's sign-in method, whether it works, when it stops; JSON
  sf-import --target-org ALIAS        take an org the Salesforce CLI (sf) knows into the env file

Options: --help (also after a command), --version
Secrets are never taken as arguments: they come from the env file, the environment or a prompt.
`;

export function version(): string {
  return typeof __TOKEN_RELAY_VERSION__ !== 'undefined'
    ? __TOKEN_RELAY_VERSION__
    : // eslint-disable-next-line @typescript-eslint/no-require-imports -- unbundled runs only (tsx, tests); the bundle gets __TOKEN_RELAY_VERSION__ and an import would bundle package.json
      (require('../../package.json') as { version: string }).version;
}

export async function main(argv: string[], rawIO: CliIO): Promise<number> {
  // Everything printed from here on is escaped for the terminal (control characters as \uXXXX).
  const io = terminalSafeIO(rawIO);
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    (cmd ? io.stdout : io.stderr)(MAIN_HELP);
    return cmd ? EXIT.ok : EXIT.usage;
  }
  if (cmd === '--version' || cmd === '-V') {
    io.stdout(version() + '\n');
    return EXIT.ok;
  }
  const load = COMMANDS[cmd];
  if (!load) {
    err(io, `token-relay: unknown command "${cmd}". Run token-relay --help.`);
    return EXIT.usage;
  }
  const mod = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(mod.help);
    return EXIT.ok;
  }
  try {
    return await mod.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      err(io, `token-relay ${cmd}: ${e.message}`);
      err(io, `Run token-relay ${cmd} --help.`);
      return EXIT.usage;
    }
    err(io, `token-relay ${cmd}: ${safeErrorMessage(e)}`);
    return EXIT.failed;
  }
}
