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
 * The parts: ./mail/body.ts (label lines of a part), ./mail/sender.ts (domain, DKIM, forwarding),
 * ./mail/rules.ts (classifyMail), ./mail/types.ts (input, options, verdict, LIMITS).
 */
export type { MailKind, MailInput, ClassifyOptions, MailVerdict } from './mail/types';
export { LIMITS } from './mail/types';
export { classifyMail } from './mail/rules';
export { isTrustedSenderDomain, dkimPassForSalesforce, stripGatewayTags } from './mail/sender';
