/** Salesforce: Test Connection (also the status bar click): re-tests the active org's login. */
import type { Services } from '../services';

export async function testConnection(s: Services): Promise<void> {
  await s.monitor.check({ reason: 'requested', interactive: true });
}
