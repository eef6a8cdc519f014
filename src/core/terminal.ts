/**
 * Text that is safe to print on a terminal. Everything the CLI prints passes through `escapeTerminal` (src/cli/io.ts
 * `terminalSafeIO`, applied once in src/cli/main.ts): usernames from a .env, mail subjects and senders, server
 * messages under --verbose may carry ESC sequences (CSI cursor moves, OSC 0 window titles, OSC 52 clipboard writes,
 * OSC 8 links), C1 controls (U+009B is a one-character CSI on some terminals), a bare CR that overprints a line, or
 * bidi overrides that reorder what the reader sees.
 *
 * Each such character becomes the six characters `\uXXXX`. Line feed and tab stay. Inside JSON strings that is the
 * JSON escape of the same character (JSON.stringify already escapes C0; it leaves C1, U+2028/9 and bidi controls
 * raw), so the JSON on stdout reads back unchanged.
 */

// C0 except TAB (09) and LF (0a); DEL; C1; ALM; LRM/RLM; LS/PS; LRE..RLO; LRI..PDI; the BOM / ZWNBSP.

const UNSAFE =
  // eslint-disable-next-line no-control-regex -- the control characters are exactly what this escapes
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

export function escapeTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** true when `text` has nothing escapeTerminal would change. */
export function isTerminalSafe(text: string): boolean {
  UNSAFE.lastIndex = 0;
  const found = UNSAFE.test(text);
  UNSAFE.lastIndex = 0;
  return !found;
}
