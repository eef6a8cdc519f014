/** The rules: which reading of which part counts, and what the sender checks make of it (see ../tokenMail.ts). */
import { htmlToTextParts, normaliseNewlines, tidyText } from '../html';
import type { PartReading } from './body';
import { readPart } from './body';
import { isBulkMail, senderRole, subjectSaysOtherMail } from './labels';
import { dkimPassForSalesforce, judgeSender } from './sender';
import type { ClassifyOptions, MailInput, MailVerdict } from './types';
import { LIMITS } from './types';

export function classifyMail(mail: MailInput, opts: ClassifyOptions = {}): MailVerdict {
  const warnings: string[] = [];
  const subject = typeof mail.subject === 'string' ? mail.subject.slice(0, 1000) : undefined;
  const fromList = (mail.from?.value ?? []).filter((a) => a && typeof a.address === 'string' && a.address);
  const sender = fromList[0]?.address;
  const authenticated = dkimPassForSalesforce(mail.headers, opts);
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
  // Hidden HTML (display:none, font-size:0 …) is set apart: it never counts, and a token it holds is refused.
  const htmlParts = rawHtml ? htmlToTextParts(rawHtml, LIMITS.htmlChars) : { text: '', hidden: '' };
  const htmlText = htmlParts.text;
  if (rawText.length > LIMITS.textChars)
    warnings.push(`the text part is larger than ${LIMITS.textChars} characters; only its start was read`);
  if (rawHtml.length > LIMITS.htmlChars)
    warnings.push(`the HTML part is larger than ${LIMITS.htmlChars} characters; only its start was read`);

  const wanted = opts.username?.trim() || undefined;
  const fromText = text ? readPart(text, LIMITS.textChars, wanted, opts.truncated === true) : undefined;
  const fromHtml = htmlText
    ? readPart(htmlText, LIMITS.htmlChars, wanted, opts.truncated === true || rawHtml.length > LIMITS.htmlChars)
    : undefined;

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
    const denied = (fromText?.deniedTokens ?? 0) + (fromHtml?.deniedTokens ?? 0);
    if (denied)
      return {
        kind: 'none',
        ...base(),
        reason:
          'a 24–25 character value under a label that names something else (a password, code, reference, ID …), not a security token',
      };
    if (/(?:^|[\s:：])[A-Za-z0-9]{24,25}(?:$|\s)/m.test(htmlParts.hidden.slice(0, LIMITS.textChars)))
      return {
        kind: 'none',
        ...base(),
        reason: 'a token-shaped value only in hidden HTML (display:none, font-size:0 …): hidden text never counts',
      };
    return {
      kind: 'none',
      ...base(),
      reason: 'no token or code on a label line (a "<label>: <value>" line) in the mail',
    };
  }
  if (reading.truncated) warnings.push(`the ${source} was long; only its first part was scanned`);

  const looksLike = reading.token
    ? 'a security-token mail'
    : reading.code
      ? 'a verification-code mail'
      : 'a security-token mail';

  // Sender checks: applied to everything that looks like a token or code mail.
  const judged = judgeSender(mail, fromList, text || htmlText, opts, authenticated);
  const distrust = judged.problem;
  if (distrust) {
    return {
      kind: 'untrusted-sender',
      ...base(),
      ...((reading.tokenUsername ?? reading.codeUsername)
        ? { username: reading.tokenUsername ?? reading.codeUsername }
        : {}),
      reason: `looks like ${looksLike}, but ${distrust}`,
    };
  }

  if (reading.ambiguous && !reading.token) {
    return { kind: 'none', ...base(), reason: `cannot tell which value is the token: ${reading.ambiguous}` };
  }

  if (reading.token) {
    // The HTML part's value that the text part shows but does not take (under a password/code/… label, or
    // in prose): the parts disagree about what it is.
    const textRefuses = source === 'HTML part' && rawText.includes(reading.token);
    const refusal = textRefuses
      ? 'the HTML part shows a token-shaped value that the text part does not present as a security token'
      : tokenRefusal(mail, reading, judged.effective, htmlParts);
    if (refusal) return { kind: 'none', ...base(), reason: refusal };
    if (judged.forwardedBy)
      warnings.push(`a forwarded copy, trusted because ${judged.forwardedBy} is a configured forwardedFrom address`);
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
        return {
          kind: 'other-user',
          ...base(),
          username: user,
          reason: `a security-token mail for ${user}, not for ${wanted}`,
        };
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
  if (!user)
    return {
      kind: 'none',
      ...base(),
      reason: 'a 6-digit code on a label line, but no username line: not a verification-code mail',
    };
  if (
    wanted &&
    user.toLowerCase() !== wanted.toLowerCase() &&
    !reading.usernames.some((u) => u.toLowerCase() === wanted.toLowerCase())
  ) {
    return {
      kind: 'none',
      ...base(),
      username: user,
      reason: `a verification-code mail for ${user}, not for ${wanted}`,
    };
  }
  return {
    kind: 'verification-code',
    ...base(),
    code: reading.code,
    username: user,
    reason: `identity-verification code found in the ${source} for ${user} from ${sender}`,
  };
}

/**
 * Why a 24–25 character value on a label line is not a security token after all (issue 15 item 2), or
 * undefined. The sender's role, the label, the mail's other parts:
 *  - marketing senders (newsletters, Trailhead, events) never send the token;
 *  - a label that says "security token" (labels.ts vocabulary) counts from transactional and other
 *    salesforce.com senders (from "other" ones only right under a username line, in a non-bulk mail);
 *  - a label in a language we have no words for counts only from a transactional sender (support@,
 *    noreply@ …), right under a username line, in a mail that is not bulk mail and whose subject does not
 *    name another kind of mail (password, verification, case, newsletter …);
 *  - a token that the HTML part hides (display:none, font-size:0 …) and does not show never counts.
 */
function tokenRefusal(
  mail: MailInput,
  reading: PartReading,
  effective: string | undefined,
  html: { text: string; hidden: string },
): string | undefined {
  const token = reading.token!;
  const role = senderRole(effective);
  if (role === 'marketing')
    return `a token-shaped value from ${effective}, a newsletter/marketing sender: Salesforce sends the security token from its support or noreply addresses`;
  const bulk = isBulkMail(mail.headers);
  if (reading.tokenLabel !== 'vocab') {
    if (role !== 'transactional')
      return `a token-shaped value under a label that does not say "security token", from ${effective}, which is not a Salesforce support/noreply address`;
    if (reading.loose || !reading.tokenUsername)
      return 'a token-shaped value under a label that does not say "security token", and not right under a username line';
    if (bulk)
      return 'a token-shaped value under a label that does not say "security token", in a bulk mail (List-Unsubscribe/List-Id/Precedence headers)';
    if (typeof mail.subjectFields === 'number' && mail.subjectFields > 1)
      return 'a token-shaped value under a label that does not say "security token", in a mail with several Subject fields';
    if (subjectSaysOtherMail(mail.subject))
      return 'a token-shaped value under a label that does not say "security token", in a mail whose subject names another kind of mail';
  } else if (role === 'other') {
    if (reading.loose || !reading.tokenUsername)
      return `a security-token line from ${effective}, which is not a Salesforce support/noreply address, and not right under a username line`;
    if (bulk) return `a security-token line in a bulk mail from ${effective}`;
  }
  if (html.hidden && html.hidden.includes(token) && !html.text.includes(token))
    return 'the token stands in hidden HTML (display:none, font-size:0 …): hidden text never counts';
  return undefined;
}
