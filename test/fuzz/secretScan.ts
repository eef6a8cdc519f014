/**
 * Secret scanner for canary tests (test/integration/canary.test.ts; reusable by host tests): finds a
 * secret in any artifact (stdout, log lines, files, settings …) in its raw, URL-encoded, JSON-escaped,
 * XML-escaped and base64 forms, plus Salesforce session ids. Reports mask the secret itself.
 */

export interface Artifact {
  source: string;
  text: string;
  /** The one token this artifact may contain (stdout of extract/watch/reset). */
  allowToken?: string;
}

export const SESSION_ID = /\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._-]{20,}/;

/** The encodings a secret can leak in. */
export function secretForms(secret: string): string[] {
  const out = new Set([
    secret,
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
    secret
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;'),
  ]);
  if (secret.length >= 8) out.add(Buffer.from(secret).toString('base64').replace(/=+$/, ''));
  return [...out];
}

/** Hits as "source: name (context)", the secret replaced by ‹name› so a report leaks nothing. */
export function scanForSecrets(artifacts: Artifact[], secrets: Array<[name: string, value: string]>): string[] {
  const hits: string[] = [];
  for (const a of artifacts) {
    for (const [name, secret] of secrets) {
      if (secret === a.allowToken) continue;
      for (const f of secretForms(secret)) {
        const i = a.text.indexOf(f);
        if (i >= 0) {
          const ctx = (
            a.text.slice(Math.max(0, i - 40), i) +
            '‹' +
            name +
            '›' +
            a.text.slice(i + f.length, i + f.length + 40)
          ).replace(/\s+/g, ' ');
          hits.push(`${a.source}: ${name} (${ctx})`);
          break;
        }
      }
    }
    if (SESSION_ID.test(a.text)) hits.push(`${a.source}: a session id`);
  }
  return hits;
}
