/**
 * The demo's second org: created after Winter '26, so its SOAP login() is off (and, since Summer '23, the OAuth
 * username-password flow is blocked): its user can only sign in with the web-server flow (the demo ECA, DEMO_APP).
 * `npm run emulator` adds both when its config names no orgs and no users.
 */
import type { EmulatorOrgInit, EmulatorUserInit } from './types';

export const DEMO_SOAP_OFF_ORG: EmulatorOrgInit = {
  id: '00D5g00000ModRn',
  name: 'Nimbus Labs (Emulated, SOAP login off)',
  soapLoginDisabled: true,
  oauthUsernamePasswordBlocked: true,
};
export const DEMO_SOAP_OFF_USER: EmulatorUserInit = {
  username: 'mia.chen@nimbus.example',
  password: 'Demo-Passw0rd!',
  email: 'mia.chen@nimbus.example',
  firstName: 'Mia',
  lastName: 'Chen',
  language: 'en',
  org: '00D5g00000ModRn',
};
