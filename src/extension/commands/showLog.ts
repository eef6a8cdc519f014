/** Salesforce: Show Log — the "Token Relay" log output channel. */
import type { Services } from '../services';

export function showLog(s: Services): void {
  s.log.show();
}
