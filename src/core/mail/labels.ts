/**
 * What a label and a sender say about a 24–25 character value (issue 15 item 2: a token needs more than
 * its shape).
 *
 * - `tokenLabelKind`: `vocab` when the label is "security token" in one of the languages Salesforce
 *   sends mail in (EN and JA are verified wording, salesforce-facts.md §1.3/1.4; the other languages are
 *   the product's own translations of "security token" as used in its UI, i.e. a reconstruction), or a
 *   bare "Token"; `denied` when the label names something else that a notification or newsletter puts
 *   next to a code (password, code, reset, promo, reference, order, case, ticket, ID, key …) in any of those
 *   languages; `unknown` otherwise (a language we have no words for: the structural fallback decides).
 * - `senderRole`: `transactional` (support@, noreply@ … of salesforce.com or a subdomain that is not a
 *   marketing one), `marketing` (newsletters, Trailhead, events: by local part or subdomain), `other`.
 */

export type LabelKind = 'vocab' | 'denied' | 'unknown';
export type SenderRole = 'transactional' | 'marketing' | 'other';

/** NFKC, lower-case, no parenthesised or bracketed parts, single spaces, no edge punctuation. */
export function normaliseLabel(label: string): string {
  let s = label.slice(0, 200).normalize('NFKC').toLowerCase();
  for (let guard = 0; guard < 5; guard++) {
    const before = s;
    s = s.replace(/\([^()]{0,120}\)|\[[^[\]]{0,120}\]|【[^【】]{0,120}】/g, ' ');
    if (s === before) break;
  }
  return s
    .replace(/[*_"'`“”‘’«»]/g, '')
    .replace(/\s+/g, ' ')
    .replace(/^[\s\-–—:.]+|[\s\-–—:.]+$/g, '')
    .trim();
}

/** "Security token" as Salesforce's localisations say it (substring match on the normalised label). */
const SECURITY_TOKEN_PHRASES = [
  'security token',
  'securitytoken', // en
  'sicherheitstoken',
  'sicherheits-token', // de
  'jeton de sécurité',
  'jeton de securite', // fr
  'token de seguridad', // es
  'token de segurança',
  'token de seguranca', // pt
  'token di sicurezza',
  'token di protezione', // it
  'beveiligingstoken', // nl
  'sikkerhedstoken', // da
  'säkerhetstoken',
  'sakerhetstoken', // sv
  'sikkerhetstoken', // no
  'suojaustunnus',
  'tietoturvatunnus', // fi
  'token zabezpieczeń',
  'token zabezpieczen',
  'token bezpieczeństwa', // pl
  'bezpečnostní token',
  'bezpečnostný token', // cs, sk
  'biztonsági token', // hu
  'token de securitate', // ro
  'güvenlik belirteci',
  'güvenlik token', // tr
  'διακριτικό ασφαλείας', // el
  'маркер безопасности',
  'токен безопасности',
  'маркер безпеки',
  'токен безпеки', // ru, uk
  'セキュリティトークン',
  'セキュリティ トークン', // ja
  '보안 토큰',
  '보안토큰', // ko
  '安全令牌',
  '安全标记',
  '安全性權杖',
  '安全權杖',
  '安全性标记', // zh
  'โทเค็นความปลอดภัย', // th
  'אסימון אבטחה', // he
  'رمز الأمان', // ar
  'mã thông báo bảo mật', // vi
  'token keamanan',
  'token keselamatan', // id, ms
  'सुरक्षा टोकन', // hi
];
/** A label that is only the word "token" (with "new"/"your"). */
const BARE_TOKEN = new Set([
  'token',
  'new token',
  'your token',
  'your new token',
  'neues token',
  'jeton',
  'nouveau jeton',
  'トークン',
  '토큰',
  '令牌',
  'токен',
  'маркер',
]);

/**
 * Words that make a label name something other than the security token. Latin/Cyrillic/Greek words match
 * as whole words; CJK/Thai/Hangul ones as substrings.
 */
const DENY_WORDS = [
  // passwords
  'password',
  'passwort',
  'kennwort',
  'mot de passe',
  'contraseña',
  'contrasena',
  'senha',
  'palavra-passe',
  'wachtwoord',
  'adgangskode',
  'lösenord',
  'losenord',
  'passord',
  'salasana',
  'hasło',
  'haslo',
  'heslo',
  'jelszó',
  'parola',
  'şifre',
  'sifre',
  'пароль',
  'κωδικός',
  'passcode',
  'passphrase',
  // codes, PINs, one-time values
  'code',
  'codes',
  'código',
  'codigo',
  'codice',
  'kode',
  'kod',
  'koodi',
  'kód',
  'код',
  'pin',
  'otp',
  'totp',
  'mfa',
  '2fa',
  // reset / verification / activation
  'reset',
  'zurücksetzen',
  'réinitialisation',
  'restablecer',
  'redefinir',
  'verification',
  'verify',
  'verifizierung',
  'vérification',
  'verificación',
  'verificação',
  'activation',
  'aktivierung',
  'confirmation',
  'bestätigung',
  'confirm',
  // marketing and commerce
  'promo',
  'promotion',
  'promotional',
  'coupon',
  'voucher',
  'discount',
  'gutschein',
  'rabatt',
  'gift',
  'offer',
  'sale',
  'order',
  'bestellung',
  'commande',
  'pedido',
  'ordine',
  'invoice',
  'rechnung',
  'facture',
  'factura',
  'receipt',
  'tracking',
  'registration',
  'anmeldung',
  'inscription',
  'booking',
  'reservation',
  'ticket',
  'invitation',
  'invite',
  'badge',
  'certificate',
  'certification',
  'survey',
  'referral',
  'member',
  'membership',
  'attendee',
  'event',
  'webinar',
  'session',
  // references and identifiers
  'reference',
  'ref',
  'referenz',
  'référence',
  'referencia',
  'referência',
  'riferimento',
  'case',
  'incident',
  'request',
  'approval',
  'record',
  'id',
  'identifier',
  'number',
  'no',
  'nr',
  'nummer',
  'numéro',
  'número',
  'key',
  'schlüssel',
  'clé',
  'clave',
  'chave',
  'chiave',
  'license',
  'licence',
  'lizenz',
  'serial',
  'account',
  'org',
  'organization',
  'organisation',
  'access',
  'api',
  'oauth',
  'refresh',
  'bearer',
  'link',
  'url',
  'hash',
  'signature',
  'checksum',
];
const DENY_SUBSTRINGS = [
  'パスワード',
  'コード',
  'リセット',
  '確認',
  '認証',
  '参照',
  '注文',
  'ケース',
  'クーポン',
  '密码',
  '密碼',
  '代码',
  '代碼',
  '验证',
  '驗證',
  '重置',
  '订单',
  '訂單',
  '비밀번호',
  '코드',
  '인증',
  '재설정',
  '주문',
  'รหัสผ่าน',
  'รหัส',
];

function wordRe(words: string[]): RegExp {
  const esc = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).sort((a, b) => b.length - a.length);
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${esc.join('|')})(?![\\p{L}\\p{N}])`, 'u');
}
const DENY_RE = wordRe(DENY_WORDS);

export function tokenLabelKind(label: string): LabelKind {
  const n = normaliseLabel(label);
  if (!n) return 'unknown';
  if (DENY_RE.test(n) || DENY_SUBSTRINGS.some((w) => n.includes(w))) return 'denied';
  if (BARE_TOKEN.has(n) || SECURITY_TOKEN_PHRASES.some((p) => n.includes(p))) return 'vocab';
  return 'unknown';
}

/** Subject words of mails that are not the token mail (password, verification, newsletters …). */
const SUBJECT_DENY_RE = wordRe([
  'password',
  'passwort',
  'kennwort',
  'mot de passe',
  'contraseña',
  'senha',
  'verify',
  'verification',
  'verificar',
  'vérifiez',
  'code',
  'newsletter',
  'webinar',
  'event',
  'invitation',
  'register',
  'registration',
  'case',
  'approval',
  'approve',
  'promo',
  'offer',
  'discount',
  'trailhead',
  'dreamforce',
  'badge',
  'certification',
  'survey',
  'digest',
  'welcome',
  'invoice',
  'order',
]);
const SUBJECT_DENY_SUBSTRINGS = ['パスワード', '認証', '確認コード', '密码', '验证', '비밀번호', '인증'];

/** A subject that names another kind of mail (used only by the structural fallback for unknown labels). */
export function subjectSaysOtherMail(subject: string | undefined): boolean {
  if (!subject) return false;
  const s = subject.slice(0, 1000).normalize('NFKC').toLowerCase();
  return SUBJECT_DENY_RE.test(s) || SUBJECT_DENY_SUBSTRINGS.some((w) => s.includes(w));
}

const TRANSACTIONAL_LOCAL = new Set([
  'support',
  'noreply',
  'no-reply',
  'no_reply',
  'donotreply',
  'do-not-reply',
  'do_not_reply',
  'security',
  'identity',
  'system',
]);
const MARKETING_LOCAL = new Set([
  'info',
  'news',
  'newsletter',
  'newsletters',
  'marketing',
  'events',
  'event',
  'trailhead',
  'dreamforce',
  'webinar',
  'webinars',
  'hello',
  'team',
  'community',
  'trailblazer',
  'trailblazers',
  'offers',
  'promo',
  'promotions',
  'updates',
  'digest',
  'learning',
  'training',
  'certification',
  'partners',
  'appexchange',
  'success',
  'feedback',
  'survey',
  'surveys',
  'research',
  'invitations',
  'salesforce',
  'mail',
  'email',
  'reply',
  'connect',
  'slack',
  'tableau',
  'mulesoft',
  'heroku',
]);
const MARKETING_SUBDOMAIN = new Set([
  'e',
  'em',
  'email',
  'emails',
  'mail',
  'mailer',
  'mailing',
  'news',
  'newsletter',
  'info',
  'marketing',
  'mktg',
  'mkt',
  'go',
  'events',
  'event',
  'trailhead',
  'dreamforce',
  'campaign',
  'campaigns',
  'promo',
  'offers',
  'comms',
  'communications',
  'engage',
  'learn',
  'm',
  'lists',
  'list',
  'reply',
  'survey',
  'surveys',
  'research',
  'community',
  'success',
  'connect',
  't',
  'trailblazer',
  'www',
  'click',
  'links',
  'link',
  'updates',
  'partners',
  'appexchange',
  'pages',
  'page',
]);

/** The role of a sender at salesforce.com (the address is assumed to be a trusted one already). */
export function senderRole(address: string | undefined): SenderRole {
  if (!address) return 'other';
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at).toLowerCase().replace(/\+.*$/, '');
  const domain = address
    .slice(at + 1)
    .toLowerCase()
    .replace(/\.$/, '');
  const sub = domain.endsWith('.salesforce.com') ? domain.slice(0, -'.salesforce.com'.length).split('.') : [];
  if (sub.some((l) => MARKETING_SUBDOMAIN.has(l)) || MARKETING_LOCAL.has(local)) return 'marketing';
  if (TRANSACTIONAL_LOCAL.has(local)) return 'transactional';
  return 'other';
}

/** Headers that only bulk mail (lists, newsletters) carries. */
export function isBulkMail(headers: Map<string, unknown> | undefined): boolean {
  if (!headers || typeof headers.get !== 'function') return false;
  // mailparser gathers List-* headers under `list` ({ id, unsubscribe, … }).
  if (headers.get('list-unsubscribe') !== undefined || headers.get('list-id') !== undefined) return true;
  const list = headers.get('list') as Record<string, unknown> | undefined;
  if (list && typeof list === 'object' && (list.unsubscribe !== undefined || list.id !== undefined)) return true;
  const p = headers.get('precedence');
  return typeof p === 'string' && /^\s*(bulk|list|junk)\b/i.test(p);
}
