/** The few XML text helpers the SOAP login (and the emulator that answers it) need. */

/** Escapes text for an XML element or attribute value. */
export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Decodes the predefined entities and numeric character references of XML text (`&amp;` last). */
export function xmlUnescape(s: string): string {
  if (!s.includes('&')) return s; // most LoginResult fields: nothing to decode, skip the seven passes
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&amp;/g, '&');
}
