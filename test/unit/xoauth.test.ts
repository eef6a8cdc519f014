/**
 * withTokenRenewal (src/mail/xoauth.ts), the one renewal after the IMAP server refused an access token, shared by the
 * extension's Sign in with Microsoft and the CLI's --imap-auth microsoft: with doubles of our own interfaces (the
 * token source and the mailbox operation). The real servers: test/integration/microsoft-cli.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MailboxError } from '../../src/mail/errors';
import type { AccessTokenSource, MailboxConfig } from '../../src/mail/imapClient';
import { withTokenRenewal, microsoftRefusalHint } from '../../src/mail/xoauth';

const refused = () => new MailboxError('auth', 'server refused', 'AUTHENTICATIONFAILED');

function source(): { src: AccessTokenSource; calls: boolean[] } {
  const calls: boolean[] = [];
  return {
    calls,
    src: ({ renew }) => {
      calls.push(renew);
      return Promise.resolve(`tok-${calls.length}`);
    },
  };
}
const cfg = (src?: AccessTokenSource): MailboxConfig => ({
  host: 'outlook.office365.com',
  user: 'alice@contoso.test',
  ...(src ? { accessTokenSource: src } : { password: 'pw' }),
});

test('without a token source it runs once and passes failures through', async () => {
  let runs = 0;
  await assert.rejects(
    withTokenRenewal(cfg(), () => {
      runs++;
      return Promise.reject(refused());
    }),
    /server refused/,
  );
  assert.equal(runs, 1);
});

test('a refused token: renew once, run again, succeed', async () => {
  const { src, calls } = source();
  let runs = 0;
  const v = await withTokenRenewal(cfg(src), () => (++runs === 1 ? Promise.reject(refused()) : Promise.resolve('ok')));
  assert.equal(v, 'ok');
  assert.equal(runs, 2);
  assert.deepEqual(calls, [true], 'the source was asked once for a new token');
});

test('refused again after the renewal: a clear error with the hint, no third try', async () => {
  const { src, calls } = source();
  let runs = 0;
  const err = await withTokenRenewal(
    cfg(src),
    () => {
      runs++;
      return Promise.reject(refused());
    },
    { hint: microsoftRefusalHint('alice@contoso.test') },
  ).catch((e: unknown) => e as MailboxError);
  assert.equal(runs, 2);
  assert.deepEqual(calls, [true]);
  assert.equal(err.kind, 'auth');
  assert.match(
    err.message,
    /^outlook\.office365\.com refused the access token for alice@contoso\.test again, after a new sign-in\. Check that you signed in as alice@contoso\.test .*IMAP\.AccessAsUser\.All/,
  );
});

test('other failures (connection, TLS) and a failing source are not retried', async () => {
  const { src, calls } = source();
  let runs = 0;
  await assert.rejects(
    withTokenRenewal(cfg(src), () => {
      runs++;
      return Promise.reject(new MailboxError('connect', 'refused connection', 'ECONNREFUSED'));
    }),
    /refused connection/,
  );
  assert.equal(runs, 1);
  assert.deepEqual(calls, []);
  const broken: AccessTokenSource = ({ renew }) =>
    renew ? Promise.reject(new Error('The Microsoft sign-in was cancelled.')) : Promise.resolve('t');
  await assert.rejects(
    withTokenRenewal(cfg(broken), () => Promise.reject(refused())),
    (e: unknown) =>
      e instanceof MailboxError &&
      e.kind === 'auth' &&
      /no new one could be had: The Microsoft sign-in was cancelled\./.test(e.message),
  );
});
