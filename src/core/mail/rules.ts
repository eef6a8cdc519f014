/** The rules: which reading of which part counts, and what the sender checks make of it (see ../tokenMail.ts). */
import { htmlToText, normaliseNewlines, tidyText } from '../html';
import { PartReading, readPart } from './body';
import { dkimPassForSalesforce, senderProblem } from './sender';
import { ClassifyOptions, LIMITS, MailInput, MailVerdict } from './types';

export function classifyMail(mail: MailInput, opts: ClassifyOptions = {}): MailVerdict {
  const warnings: string[] = [];
  const subject = typeof mail.subject === 'string' ? mail.subject.slice(0, 1000) : undefined;
  const fromList = (mail.from?.value ?? []).filter((a) => a && typeof a.address === 'string' && a.address);
  const sender = fromList[0]?.address;
  const authenticated = dkimPassForSalesforce(mail.headers);
  const base = (): Pick<MailVerdict, 'sender' | 'subject' | 'authenticated' | 'warnings'> => ({
    ...(sender !== undefined ? { sender } : {}),
    ...(subject !== undefined ? { subject } : {}),
    authenticated,
    warnings,
  });

  // Bodies: the text part as sent, the HTML part converted by our own stripper.
  const rawText = typeof mail.text === 'string' ? mail.text : '';
  const rawHtml = typeof mail.html === 'string' ? mail.html : '';
  const text = rawText ? tidyText(normaliseNewlines(rawText.slice(0, LIMITS.textChars + 1))) : '';
  const htmlText = rawHtml ? htmlToText(rawHtml, LIMITS.htmlChars) : '';
  if (rawText.length > LIMITS.textChars) warnings.push(`the text part is larger than ${LIMITS.textChars} characters; only its start was read`);
  if (rawHtml.length > LIMITS.htmlChars) warnings.push(`the HTML part is larger than ${LIMITS.htmlChars} characters; only its start was read`);

  const wanted = opts.username?.trim() || undefined;
  const fromText = text ? readPart(text, LIMITS.textChars, wanted, opts.truncated === true) : undefined;
  const fromHtml = htmlText ? readPart(htmlText, LIMITS.htmlChars, wanted, opts.truncated === true || rawHtml.length > LIMITS.htmlChars) : undefined;

  // Text part preferred; HTML only when the text part has nothing.
  let reading: PartReading | undefined;
  let source = '';
  if (fromText && (fromText.token || fromText.code || fromText.ambiguous)) {
    reading = fromText;
    source = 'text part';
    if (fromHtml?.token && fromText.token && fromHtml.token !== fromText.token)
      warnings.push('the text and HTML parts show different tokens; the text part was used');
    else if (fromText.token && fromHtml && !fromHtml.token && htmlText)
      warnings.push('the HTML part shows no token; the text part was used');
    else if (fromHtml?.code && fromText.code && fromHtml.code !== fromText.code)
      warnings.push('the text and HTML parts show different codes; the text part was used');
  } else if (fromHtml && (fromHtml.token || fromHtml.code || fromHtml.ambiguous)) {
    reading = fromHtml;
    source = 'HTML part';
    if (text) warnings.push('the text part shows no token; the HTML part was used');
  }

  if (!reading) {
    return { kind: 'none', ...base(), reason: 'no token or code on a label line (a "<label>: <value>" line) in the mail' };
  }
  if (reading.truncated) warnings.push(`the ${source} was long; only its first part was scanned`);

  const looksLike = reading.token ? 'a security-token mail' : reading.code ? 'a verification-code mail' : 'a security-token mail';

  // Sender checks: applied to everything that looks like a token or code mail.
  const distrust = senderProblem(mail, fromList, text || htmlText, opts, authenticated);
  if (distrust) {
    return {
      kind: 'untrusted-sender',
      ...base(),
      ...((reading.tokenUsername ?? reading.codeUsername) ? { username: reading.tokenUsername ?? reading.codeUsername } : {}),
      reason: `looks like ${looksLike}, but ${distrust}`,
    };
  }

  if (reading.ambiguous && !reading.token) {
    return { kind: 'none', ...base(), reason: `cannot tell which value is the token: ${reading.ambiguous}` };
  }

  if (reading.token) {
    if (reading.ambiguous) warnings.push(`${reading.ambiguous}; the first one was used`);
    const user = reading.tokenUsername;
    if (!user) warnings.push('the mail has no username line next to the token');
    else if (reading.loose) warnings.push('the token line is not right after the username line');
    if (wanted) {
      if (!user) {
        return {
          kind: 'none',
          ...base(),
          reason: `a security-token mail that names no username, so it cannot be confirmed to be for ${wanted}`,
        };
      }
      if (user.toLowerCase() !== wanted.toLowerCase()) {
        return { kind: 'other-user', ...base(), username: user, reason: `a security-token mail for ${user}, not for ${wanted}` };
      }
    }
    return {
      kind: 'token',
      ...base(),
      token: reading.token,
      ...(user ? { username: user } : {}),
      reason: `security token found in the ${source}${user ? ` for ${user}` : ''} from ${sender}${authenticated ? ' (DKIM pass)' : ''}`,
    };
  }

  // A code: needs a username line too (the identity-verification mail has one).
  const user = reading.codeUsername;
  if (!user) return { kind: 'none', ...base(), reason: 'a 6-digit code on a label line, but no username line: not a verification-code mail' };
  if (wanted && user.toLowerCase() !== wanted.toLowerCase() && !reading.usernames.some((u) => u.toLowerCase() === wanted.toLowerCase())) {
    return { kind: 'none', ...base(), username: user, reason: `a verification-code mail for ${user}, not for ${wanted}` };
  }
  return {
    kind: 'verification-code',
    ...base(),
    code: reading.code,
    username: user,
    reason: `identity-verification code found in the ${source} for ${user} from ${sender}`,
  };
}
