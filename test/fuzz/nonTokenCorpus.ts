/**
 * A corpus of Salesforce mails that are NOT the security-token mail but carry a 24–25 character code on a
 * label line, most of them right under a username-like line, from salesforce.com senders (issue 15 item 2):
 * newsletters, Trailhead, event promos, case and approval notifications, password and verification mails.
 * The classifier before issue 15 reported `token` for most of them. None may be a token.
 *
 * `node --import tsx test/fuzz/nonTokenCorpus.ts` writes test/fixtures/non-token/*.eml and its README;
 * test/unit/nonTokenCorpus.test.ts checks the files and classifies them; the fuzz family `non-token-corpus`
 * (test/fuzz/mails.ts) mutates them with the oracle "never a token from a non-token mail".
 * The codes are made up (token-shaped, never real).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Layout } from './mails';
import { buildMail } from './mails';

export const NON_TOKEN_DIR = path.join(__dirname, '..', 'fixtures', 'non-token');
export const CORPUS_USER = 'jane.doe@acme.example';

export interface NonTokenMail {
  file: string;
  what: string;
  from: string;
  subject: string;
  /** the body with `{USER}` and `{CODE}` placeholders */
  text: string;
  /** optional HTML part (same placeholders); default: the text in <pre> */
  html?: string;
  headers?: Array<[string, string]>;
  /** the 24–25 character value the mail carries (the default for `{CODE}`) */
  code: string;
}

const UNSUB: Array<[string, string]> = [
  ['List-Unsubscribe', '<https://click.email.salesforce.com/unsub?u=1>, <mailto:unsub@email.salesforce.com>'],
  ['List-Unsubscribe-Post', 'List-Unsubscribe=One-Click'],
];

export const NON_TOKEN_MAILS: NonTokenMail[] = [
  {
    file: 'newsletter-promo-code.eml',
    what: 'newsletter (email.salesforce.com, List-Unsubscribe) with a promo code under the subscriber line',
    from: 'Salesforce <news@email.salesforce.com>',
    subject: 'Dreamforce is coming: save 30% with your code',
    headers: UNSUB,
    text: 'Hi Jane,\n\nDreamforce returns to San Francisco this fall.\n\nSubscriber: {USER}\nPromo code: {CODE}\n\nRegister before May 31.\n',
    code: 'DF24SAVE30XQ7RTZ9MKL2WPA',
  },
  {
    file: 'newsletter-security-tip.eml',
    what: 'marketing newsletter (mail.salesforce.com) quoting a sample token line in a security tip',
    from: 'Salesforce <news@mail.salesforce.com>',
    subject: 'Admin tips: keep your integrations secure',
    headers: UNSUB,
    text: 'Tip of the week: never paste these into chat.\n\nUsername: {USER}\nSecurity token (case-sensitive): {CODE}\n\nUse OAuth instead.\n',
    code: 'ExAmPlEtOkEnNoTrEaL12345',
  },
  {
    file: 'newsletter-subscriber-id.eml',
    what: 'newsletter from info@salesforce.com with a subscriber id',
    from: 'Salesforce <info@salesforce.com>',
    subject: 'Your monthly Salesforce digest',
    text: 'Your digest\n\nEmail: {USER}\nSubscriber: {CODE}\n\nManage preferences in your profile.\n',
    code: 'SuB7c9Kq2LmX4vR8tN1pZ6wYd',
  },
  {
    file: 'trailhead-credential.eml',
    what: 'Trailhead (trailhead@salesforce.com) credential mail',
    from: 'Trailhead <trailhead@salesforce.com>',
    subject: 'Congratulations, you earned a new credential!',
    text: 'Well done, Trailblazer!\n\nTrailblazer: {USER}\nCredential: {CODE}\n\nShare it on your profile.\n',
    code: 'CrEd3ntIaL8Xq2Wm5Rt7Yp9Lk',
  },
  {
    file: 'trailhead-certification-number.eml',
    what: 'Trailhead noreply on the trailhead subdomain with a certification number',
    from: 'Trailhead <noreply@trailhead.salesforce.com>',
    subject: 'Your certification is verified',
    text: 'Hi Jane,\n\nUsername: {USER}\nCertification number: {CODE}\n\nThanks,\nTrailhead\n',
    code: 'CeRt2024AdM1nXq7Wm3Rt5Yp9',
  },
  {
    file: 'trailhead-verify-email.eml',
    what: 'Trailhead email verification with a long verification code',
    from: 'Trailhead <noreply@trailhead.salesforce.com>',
    subject: 'Verify your email address',
    text: 'Email: {USER}\nVerification code: {CODE}\n\nEnter it within 24 hours.\n',
    code: 'VeR1fYtRa1LhEaD7Xq2Wm5Rt8',
  },
  {
    file: 'event-registration.eml',
    what: 'event registration (events@salesforce.com) with a confirmation number',
    from: 'Salesforce Events <events@salesforce.com>',
    subject: 'You are registered for World Tour London',
    text: "You're in!\n\nRegistered email: {USER}\nConfirmation: {CODE}\n\nShow it at the door.\n",
    code: 'WtLdN2024ReG7Xq2Wm5Rt8Yp3',
  },
  {
    file: 'event-pass-go-subdomain.eml',
    what: 'event promo from noreply@go.salesforce.com (a marketing subdomain) with an unlabelled pass',
    from: 'Salesforce <noreply@go.salesforce.com>',
    subject: 'Your complimentary expo pass',
    text: 'Email: {USER}\nPass: {CODE}\n\nSee you there.\n',
    code: 'ExPoPaSs9Xq2Wm5Rt8Yp3Lk7N',
  },
  {
    file: 'event-coupon-unknown-language.eml',
    what: 'event promo in a language without vocabulary (Hungarian) from a marketing subdomain',
    from: 'Dreamforce <dreamforce@events.salesforce.com>',
    subject: 'Dreamforce: különleges ajánlat',
    text: 'Felhasználónév: {USER}\nKuponkód: {CODE}\n',
    code: 'HuNkUp0n7Xq2Wm5Rt8Yp3Lk9D',
  },
  {
    file: 'webinar-id.eml',
    what: 'webinar reminder with a webinar id',
    from: 'Salesforce Webinars <webinars@salesforce.com>',
    subject: 'Starting soon: Einstein for admins',
    text: 'Registrant: {USER}\nWebinar ID: {CODE}\n',
    code: 'WeB1nArEiNsT3iN7Xq2Wm5Rt8',
  },
  {
    file: 'case-notification-reference.eml',
    what: 'case notification from noreply@salesforce.com: contact email, then a case reference',
    from: 'Salesforce <noreply@salesforce.com>',
    subject: 'Case 00123456 has been updated',
    text: 'A case you follow was updated.\n\nContact: {USER}\nCase Reference: {CODE}\n\nReply to this mail to comment.\n',
    code: '5005g00000AbCdEfGhIjKlMnO',
  },
  {
    file: 'case-thread-unknown-label.eml',
    what: 'case notification whose code label is unknown ("Thread"): the subject names a case',
    from: 'Salesforce <noreply@salesforce.com>',
    subject: 'Case 00123457: new comment',
    text: 'Submitted by: {USER}\nThread: {CODE}\n',
    code: 'ThReAd5005g00AbCdEfGhIjKl',
  },
  {
    file: 'approval-request-id.eml',
    what: 'approval request from noreply@salesforce.com with a request id',
    from: 'Salesforce <noreply@salesforce.com>',
    subject: 'Approval request: Opportunity Acme - 200 licenses',
    text: 'Jane requested your approval.\n\nSubmitter: {USER}\nRequest ID: {CODE}\n\nApprove or reject in Salesforce.\n',
    code: '04i5g00000AbCdEfGhIjKlMnO',
  },
  {
    file: 'approval-unknown-label.eml',
    what: 'approval request with an unknown-language label ("Dokumentum"): the subject names an approval',
    from: 'Salesforce <noreply@salesforce.com>',
    subject: 'Approval needed: discount over 40%',
    text: 'Approver: {USER}\nDokumentum: {CODE}\n',
    code: 'DoKuMeNtUm04i5g00AbCdEfGh',
  },
  {
    file: 'password-shown.eml',
    what: 'a new password shown in a mail from support@salesforce.com',
    from: 'Salesforce <support@salesforce.com>',
    subject: 'Your new Salesforce password',
    text: 'Hi Jane,\n\nUsername: {USER}\nPassword: {CODE}\n\nChange it after you log in.\n',
    code: 'PaSsW0rdShOwN7Xq2Wm5Rt8Yp',
  },
  {
    file: 'password-temporary-ja.eml',
    what: 'a temporary password in a Japanese mail',
    from: 'Salesforce <support@salesforce.com>',
    subject: 'Salesforce パスワードのリセット',
    text: 'ユーザ名: {USER}\n仮パスワード: {CODE}\n',
    code: 'KaRiPaSs7Xq2Wm5Rt8Yp3Lk9D',
  },
  {
    file: 'password-de.eml',
    what: 'a password in a German mail (Kennwort)',
    from: 'Salesforce <support@salesforce.com>',
    subject: 'Ihr neues Salesforce-Kennwort',
    text: 'Benutzername: {USER}\nKennwort: {CODE}\n',
    code: 'KeNnW0rT7Xq2Wm5Rt8Yp3Lk9D',
  },
  {
    file: 'verification-code-long.eml',
    what: 'identity verification with a 24-character code (not 6 digits)',
    from: 'Salesforce <noreply@salesforce.com>',
    subject: 'Verify your identity in Salesforce',
    text: 'Username: {USER}\nVerification Code: {CODE}\n',
    code: 'VeRiFyId3nTiTy7Xq2Wm5Rt8Y',
  },
  {
    file: 'password-reset-code.eml',
    what: 'password reset with a reset code',
    from: 'Salesforce <support@salesforce.com>',
    subject: 'Finish resetting your Salesforce password',
    text: 'Username: {USER}\nReset code: {CODE}\n',
    code: 'ReSeTc0De7Xq2Wm5Rt8Yp3Lk9',
  },
  {
    file: 'activation-key.eml',
    what: 'account activation with an activation key',
    from: 'Salesforce <support@salesforce.com>',
    subject: 'Welcome to Salesforce',
    text: 'Username: {USER}\nActivation key: {CODE}\n',
    code: 'AcTiVaTi0nK3y7Xq2Wm5Rt8Yp',
  },
  {
    file: 'org-ready-org-id.eml',
    what: 'signup mail with an org id',
    from: 'Salesforce <noreply@salesforce.com>',
    subject: 'Your Developer Edition org is ready',
    text: 'Username: {USER}\nOrg ID: {CODE}\n',
    code: '00D5g000004XyZ1AAC7Xq2Wm5',
  },
  {
    file: 'api-access-token.eml',
    what: 'an "access token" (not the security token)',
    from: 'Salesforce <noreply@salesforce.com>',
    subject: 'Your connected app',
    text: 'Username: {USER}\nAccess token: {CODE}\n',
    code: 'AcCeSsT0kEn7Xq2Wm5Rt8Yp3L',
  },
  {
    file: 'billing-order-number.eml',
    what: 'billing mail from billing@salesforce.com (not a transactional sender) with an order number',
    from: 'Salesforce Billing <billing@salesforce.com>',
    subject: 'Your invoice is ready',
    text: 'Account: {USER}\nOrder number: {CODE}\n',
    code: 'OrDeR2024Xq2Wm5Rt8Yp3Lk9D',
  },
  {
    file: 'employee-unknown-label.eml',
    what: 'a mail from a person at salesforce.com with an unknown-language label',
    from: 'Alice Example <alice.example@salesforce.com>',
    subject: 'Következő lépések',
    text: 'Felhasználónév: {USER}\nAzonosító: {CODE}\n',
    code: 'AzOn0s1t07Xq2Wm5Rt8Yp3Lk9',
  },
  {
    file: 'bulk-noreply-unknown-label.eml',
    what: 'bulk mail (List-Unsubscribe) from noreply@salesforce.com with an unknown-language label',
    from: 'Salesforce <noreply@salesforce.com>',
    subject: 'Hírlevél',
    headers: UNSUB,
    text: 'Felhasználó: {USER}\nKulcs: {CODE}\n',
    code: 'KuLcS7Xq2Wm5Rt8Yp3Lk9DhF2',
  },
  {
    file: 'community-digest.eml',
    what: 'Trailblazer Community digest with a reply code',
    from: 'Trailblazer Community <community@salesforce.com>',
    subject: 'Your daily digest',
    text: 'Posted by: {USER}\nReply: {CODE}\n',
    code: 'CoMmUn1tY7Xq2Wm5Rt8Yp3Lk9',
  },
  {
    file: 'survey-invite.eml',
    what: 'survey invitation with a survey token',
    from: 'Salesforce <survey@salesforce.com>',
    subject: 'Tell us about your experience',
    text: 'Respondent: {USER}\nSurvey token: {CODE}\n',
    code: 'SuRvEy7Xq2Wm5Rt8Yp3Lk9DhF',
  },
  {
    file: 'hidden-html-token.eml',
    what: 'HTML-only case notification from support@ whose token block is hidden (display:none)',
    from: 'Salesforce <support@salesforce.com>',
    subject: 'Case 00123458 closed',
    text: '',
    html: '<html><body><p>Your case was closed.</p><div style="display:none">Username: {USER}<br>Security token (case-sensitive): {CODE}</div><p>Thanks</p></body></html>',
    code: 'HiDdEnT0kEn7Xq2Wm5Rt8Yp3L',
  },
  {
    file: 'hidden-html-font-size-zero.eml',
    what: 'HTML-only mail whose token line has font-size:0 through a <style> class',
    from: 'Salesforce <support@salesforce.com>',
    subject: 'Your new Salesforce security token',
    text: '',
    html: '<html><head><style>.pre { font-size: 0px; line-height: 0 }</style></head><body><p class="pre">Username: {USER}<br>Security token (case-sensitive): {CODE}</p><p>See your settings.</p></body></html>',
    code: 'Fs0Hidd3nT0k3n7Xq2Wm5Rt8Y',
  },
];

export function fill(s: string, user: string, code: string): string {
  return s.split('{USER}').join(user).split('{CODE}').join(code);
}

/** Renders one corpus mail (for the fixtures: CORPUS_USER, its own code, layout alt-7bit-qp or html-only). */
export function renderNonToken(
  m: NonTokenMail,
  o: { user?: string; code?: string; layout?: Layout; seq?: number } = {},
): { raw: Buffer; fromLine: string } {
  const user = o.user ?? CORPUS_USER;
  const code = o.code ?? m.code;
  const text = fill(m.text, user, code);
  const html = m.html ? fill(m.html, user, code) : undefined;
  const layout: Layout = m.html && !m.text ? 'html-only-qp' : (o.layout ?? 'alt-7bit-qp');
  return buildMail({
    from: m.from,
    subject: m.subject,
    layout,
    text,
    html,
    headers: m.headers,
    seq: o.seq ?? 5151,
    htmlCte: '8bit',
  });
}

export function writeNonTokenCorpus(dir = NON_TOKEN_DIR): string[] {
  mkdirSync(dir, { recursive: true });
  for (const m of NON_TOKEN_MAILS) writeFileSync(path.join(dir, m.file), renderNonToken(m).raw);
  const readme = [
    '# Non-token Salesforce mails',
    '',
    'Mails from salesforce.com senders that are not the security-token mail but carry a 24–25 character code on a',
    'label line (issue 15 item 2). None may be classified as `token`, with any options.',
    'Generated by `node --import tsx test/fuzz/nonTokenCorpus.ts` (do not edit by hand); checked by',
    '`test/unit/nonTokenCorpus.test.ts`; mutated by the fuzz family `non-token-corpus`. The codes are made up.',
    '',
    '| file | from | what |',
    '|---|---|---|',
    ...NON_TOKEN_MAILS.map((m) => `| ${m.file} | \`${m.from}\` | ${m.what} |`),
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'README.md'), readme);
  return NON_TOKEN_MAILS.map((m) => m.file);
}

if (require.main === module) {
  const files = writeNonTokenCorpus();
  console.log(`wrote ${files.length} mails to ${NON_TOKEN_DIR}`);
}
