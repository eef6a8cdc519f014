/** Which IMAP server the tests, host tests and vsix-smoke get (test/servers/imap.ts, test/servers/dovecot.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imapPreference } from '../servers/imap';
import { dovecotMissing } from '../../src/imapServer/dovecot';

test('TOKEN_RELAY_TEST_IMAP forces a kind; anything else is auto', () => {
  const saved = process.env.TOKEN_RELAY_TEST_IMAP;
  try {
    for (const [v, want] of [
      ['embedded', 'embedded'],
      ['dovecot', 'dovecot'],
      ['courier', 'courier'],
      ['', 'auto'],
      ['Dovecot', 'auto'],
      [undefined, 'auto'],
    ] as const) {
      if (v === undefined) delete process.env.TOKEN_RELAY_TEST_IMAP;
      else process.env.TOKEN_RELAY_TEST_IMAP = v;
      assert.equal(imapPreference(), want, String(v));
    }
  } finally {
    if (saved === undefined) delete process.env.TOKEN_RELAY_TEST_IMAP;
    else process.env.TOKEN_RELAY_TEST_IMAP = saved;
  }
});

test("Dovecot's master without its imap binaries is not a usable Dovecot (the embedded server is used)", () => {
  assert.match(dovecotMissing('/nonexistent/sbin/dovecot', []), /^Dovecot not found .*dovecot-imapd/);
  assert.match(
    dovecotMissing(process.execPath, ['/nonexistent/lib/dovecot/imap']),
    /^Dovecot found, but not its IMAP server \(\/nonexistent\/lib\/dovecot\/imap; apt-get install dovecot-imapd\)/,
  );
  assert.equal(dovecotMissing(process.execPath, [process.execPath]), '');
});
