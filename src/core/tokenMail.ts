/**
 * Recognises the Salesforce security-token email (and its lookalikes) from a parsed message.
 *
 * Pure: no I/O, no mail library. Input is the subset of mailparser's ParsedMail in `MailInput`.
 * The rules (salesforce-facts.md §0, §1):
 *  - never key on wording: the mail is localised. Only its structure is stable: a `<label>: <username>`
 *    line, then a `<label>: <token>` line whose value is 24–25 characters of [A-Za-z0-9];
 *  - trust the sender by domain (`salesforce.com` or `*.salesforce.com`), never by display name;
 *    forwarded copies are not trusted unless the caller says so; a DKIM pass is recorded;
 *  - check the username inside the mail (compliance BCC mailboxes get everybody's token mail);
 *  - bounded work on any input (caps on scanned text, line-by-line scanning, no backtracking regexes).
 *
 *  - a token needs more than its shape: a "security token" label (or, for languages we have no words for,
 *    a transactional sender and the username line right above), never from a marketing sender, never
 *    in hidden HTML;
 *  - a malformed From (several @, control characters, encoded-words in the address, a second address
 *    hidden in an encoded display name) is refused here, whatever the IMAP pre-filter did;
 *  - DKIM counts only from the receiving server's own Authentication-Results header (its authserv-id).
 *
 * The parts: ./mail/body.ts (label lines of a part), ./mail/labels.ts (label vocabulary, sender roles),
 * ./mail/sender.ts (domain, DKIM, forwarding), ./mail/address.ts (From shape, raw From field),
 * ./mail/authResults.ts (RFC 8601 parsing, whose header counts), ./mail/rules.ts (classifyMail),
 * ./mail/types.ts (input, options, verdict, LIMITS).
 */
export type { MailKind, MailInput, ClassifyOptions, MailVerdict } from './mail/types';
export { LIMITS } from './mail/types';
export { classifyMail } from './mail/rules';
export { isTrustedSenderDomain, dkimPassForSalesforce, stripGatewayTags, subjectForwarded } from './mail/sender';
export { parseAuthResults, defaultAuthservDomain } from './mail/authResults';
export type { AuthResultsHeader, AuthResult } from './mail/authResults';
export { addressShapeProblem, rawFromProblem } from './mail/address';
export { tokenLabelKind, senderRole } from './mail/labels';
export type { LabelKind, SenderRole } from './mail/labels';
