/**
 * A .env symlink that leads outside its folder is written through by no CLI command unless --follow-symlink (as
 * `env set`), and commands that write only at the end (watch, reset, oauth, sf-import, login) refuse up front: exit 2,
 * nothing done, the target untouched, before any mailbox or Salesforce is contacted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { envTargetOutside } from '../../src/envfile';

function io(cwd: string, env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const errs: string[] = [];
  const cli: CliIO = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void errs.push(t),
    env,
    cwd,
    readStdin: async () => Buffer.from(''),
  };
  return { cli, out, errs };
}

test('every .env-writing command refuses an outside symlink before it starts; --follow-symlink lets it through', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tr-dotenv-target-'));
  // A listener that records whether anything connected (nothing may: the refusal comes first).
  let connections = 0;
  const server = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const project = path.join(root, 'project');
    const elsewhere = path.join(root, 'elsewhere');
    mkdirSync(project);
    mkdirSync(elsewhere);
    const real = path.join(elsewhere, 'real.env');
    const body =
      `SF_USERNAME=jane@acme.com\nSF_PASSWORD=Pw-canary-1\nSF_SECURITY_TOKEN=OldTok\nSF_LOGIN_URL=http://127.0.0.1:${port}\n` +
      `SF_CLIENT_ID=client-1\nSF_TARGET_ORG=acme\nTOKEN_RELAY_IMAP_PASSWORD=imap-canary-1\n`;
    writeFileSync(real, body, { mode: 0o600 });
    symlinkSync(real, path.join(project, '.env'));
    assert.ok(await envTargetOutside(path.join(project, '.env'), project), 'the link leads outside');
    assert.equal(await envTargetOutside(real, elsewhere), undefined, 'a plain file inside its folder');

    const imap = [
      '--imap-host',
      '127.0.0.1',
      '--imap-port',
      String(port),
      '--imap-user',
      'jane',
      '--imap-tls',
      'starttls',
    ];
    const runs: Array<[string, string[]]> = [
      ['watch', ['watch', '--dotenv', '.env', ...imap, '--timeout', '5']],
      ['reset', ['reset', '--dotenv', '.env', '--no-open', ...imap, '--timeout', '5']],
      ['login', ['login', '--dotenv', '.env', '--timeout', '5']],
      ['oauth refresh', ['oauth', 'refresh', '--dotenv', '.env']],
      ['oauth login', ['oauth', 'login', '--dotenv', '.env', '--no-open', '--timeout', '5']],
      ['sf-import', ['sf-import', '--target-org', 'acme', '--dotenv', '.env']],
    ];
    for (const [name, argv] of runs) {
      const t = io(project, { TOKEN_RELAY_HOME: path.join(root, 'home') });
      const code = await main(argv, t.cli);
      const text = t.out.join('') + t.errs.join('');
      assert.equal(code, 2, `${name}: ${text}`);
      assert.match(text, /symlink to .*outside .* unless you pass --follow-symlink\. Nothing was done\./, name);
      assert.doesNotMatch(text, /Pw-canary-1|imap-canary-1/, name);
    }
    assert.equal(connections, 0, 'nothing was contacted');
    assert.equal(readFileSync(real, 'utf8'), body, 'the target is untouched');

    // With --follow-symlink the command runs (and here fails at the dead login URL: exit 1, not 2).
    const t = io(project, { TOKEN_RELAY_HOME: path.join(root, 'home') });
    const code = await main(['login', '--dotenv', '.env', '--follow-symlink', '--timeout', '5', '--no-limits'], t.cli);
    assert.equal(code, 1, t.errs.join(''));
    assert.ok(connections > 0, 'the login was attempted');
  } finally {
    server.close();
    rmSync(root, { recursive: true, force: true });
  }
});
