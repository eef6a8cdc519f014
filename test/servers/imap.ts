/**
 * The tests' face of the IMAP server (src/imapServer: Dovecot, else the embedded server): the same
 * `startImapServer()`, with `mailboxConfig()` typed as the product's MailboxConfig (src/imapServer does not import
 * src/mail), plus the sample mails the IMAP tests append.
 */
import type { MailboxConfig } from '../../src/mail';
import * as server from '../../src/imapServer';

export {
  imapPreference,
  type AddUserOptions,
  type AppendOptions,
  type MakeMessage,
  type StartImapOptions,
} from '../../src/imapServer';

export interface ImapServer extends Omit<server.ImapServer, 'mailboxConfig'> {
  /** A MailboxConfig for this server (STARTTLS on `port` by default), trusting the self-signed cert. */
  mailboxConfig(user: string, pass: string, over?: Partial<MailboxConfig>): MailboxConfig;
}

export function startImapServer(opts?: server.StartImapOptions): Promise<ImapServer> {
  return server.startImapServer(opts);
}

/**
 * Minimal token / verification-code mails shaped like Salesforce's (see test/fixtures/emails), for IMAP tests
 * that must not wait for src/emulator/mailTemplates.ts. `lang: 'ja'` gives the verified Japanese body with a
 * Japanese subject (a localized subject the watcher must still find).
 */
export function sampleTokenMail(o: {
  username: string;
  token: string;
  lang?: 'en' | 'ja';
  from?: string;
  date?: Date;
  messageId?: string;
}): string {
  const date = (o.date ?? new Date()).toUTCString().replace('GMT', '+0000');
  const from = o.from ?? 'Salesforce <support@salesforce.com>';
  const mid = o.messageId ?? `<${Math.random().toString(36).slice(2)}.${Date.now()}@sfdc.net>`;
  const ja = o.lang === 'ja';
  const subject = ja
    ? '=?UTF-8?B?' + Buffer.from('新しい Salesforce セキュリティトークン').toString('base64') + '?='
    : 'Your new Salesforce security token';
  const body = ja
    ? `最近パスワードが変更されたかセキュリティトークンのリセットが要求されたため、新しい Salesforce セキュリティトークンを送信いたしました。\n\nユーザ名: ${o.username}\nセキュリティトークン (大文字と小文字を区別): ${o.token}\n\nセキュリティトークンの使用方法についての詳細は、https://help.salesforce.com/HTViewHelpDoc?id=user_security_token.htm の「セキュリティトークンのリセット」を参照してください。\n`
    : `Hi,\n\nBecause you recently changed your password or requested to reset your security token, we're sending you your new Salesforce security token. Use this updated security token whenever a security token is required for API or desktop client access.\n\nUsername: ${o.username}\nSecurity token (case-sensitive): ${o.token}\n\nFor more information on using your security token, see "Reset Your Security Token" in the Salesforce Help: https://help.salesforce.com/HTViewHelpDoc?id=user_security_token.htm\n\nThanks,\nSalesforce\n`;
  const encoded = Buffer.from(body, 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
  return [
    `From: ${from}`,
    `To: <${o.username}>`,
    `Subject: ${subject}`,
    `Date: ${date}`,
    `Message-ID: ${mid}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset="UTF-8"',
    'Content-Transfer-Encoding: base64',
    '',
    encoded,
    '',
  ].join('\r\n');
}

export function sampleVerificationMail(o: { username: string; code: string; date?: Date }): string {
  const date = (o.date ?? new Date()).toUTCString().replace('GMT', '+0000');
  const body = `You recently logged in to Salesforce from a browser or app that we don't recognize.\r\n\r\nBrowser: Chrome\r\nOperating System: Windows 10\r\nUsername: ${o.username}\r\n\r\nTo ensure your account's security, we need to verify your identity. Enter the following code where prompted by Salesforce.\r\n\r\nVerification Code: ${o.code}\r\n\r\nThanks,\r\nSalesforce\r\n`;
  return [
    'From: Salesforce <noreply@salesforce.com>',
    `To: <${o.username}>`,
    'Subject: Verify your identity in Salesforce',
    `Date: ${date}`,
    `Message-ID: <${Math.random().toString(36).slice(2)}.${Date.now()}@sfdc.net>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset="UTF-8"',
    'Content-Transfer-Encoding: 7bit',
    '',
    body,
  ].join('\r\n');
}

/** An ordinary non-Salesforce mail (filler). */
export function sampleOtherMail(i: number, date?: Date): string {
  const d = (date ?? new Date()).toUTCString().replace('GMT', '+0000');
  return `From: Newsletter <news@example.org>\r\nTo: <someone@example.org>\r\nSubject: Newsletter ${i}\r\nDate: ${d}\r\nMessage-ID: <n${i}.${Date.now()}@example.org>\r\n\r\nHello number ${i}.\r\n`;
}
