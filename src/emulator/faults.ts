/**
 * Forced failures: Salesforce's fault texts (salesforce-facts.md §3.1, §7; "reconstruction" where no source had
 * the text) and the transport faults for client tests ('slow', 'hang', 'reset', 'garbage', 'html', 'html-500', 'empty').
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HOSTILE_FAULTS, hostileFault } from './hostile';
import { send } from './http';
import type { EmulatorState } from './state';
import type { EmulatorFault, HostileFault, SoapFaultCode } from './types';

export const FAULT_TEXT: Record<SoapFaultCode, string> = {
  INVALID_LOGIN: 'Invalid username, password, security token; or user locked out.',
  LOGIN_MUST_USE_SECURITY_TOKEN:
    'Invalid username, password, security token; or user locked out. Are you at a new location? When accessing Salesforce--either via a desktop client or the API--from outside of your company\u2019s trusted networks, you must add a security token to your password to log in. To get your new security token, log in to Salesforce. From your personal settings, enter Reset My Security Token in the Quick Find box, then select Reset My Security Token.',
  PASSWORD_LOCKOUT: 'Your account has been locked out. Contact your administrator.', // reconstruction
  INVALID_OPERATION_WITH_EXPIRED_PASSWORD:
    'The users password has expired, you must call SetPassword before attempting any other API operations',
  API_DISABLED_FOR_ORG: 'API is not enabled for this Organization or Partner',
  API_CURRENTLY_DISABLED: 'API is disabled for this User', // reconstruction
  SERVER_UNAVAILABLE: 'Server temporarily unavailable. Please try again later.', // reconstruction
  ORG_LOCKED: 'Your organization is locked. Contact your administrator.', // reconstruction
  ORG_IN_MAINTENANCE: 'Your organization is in maintenance. Please try again later.', // reconstruction
  TRIAL_EXPIRED: 'Your trial has expired.', // reconstruction
  REQUEST_LIMIT_EXCEEDED: 'TotalRequests Limit exceeded.',
  INSUFFICIENT_ACCESS: 'Use of login() requires the Use Any API Auth user permission.', // reconstruction
  UNSUPPORTED_API_VERSION: 'Invalid Api version specified on URL', // reconstruction
  LOGIN_CHALLENGE_ISSUED: 'Verify your identity: a verification code was sent.', // reconstruction
  UNKNOWN_EXCEPTION:
    'An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-123456789)',
};

export const TRANSPORT_FAULTS = new Set<EmulatorFault>([
  'slow',
  'hang',
  'reset',
  'garbage',
  'html',
  'html-500',
  'empty',
  ...HOSTILE_FAULTS,
]);

/** Applies a transport fault; returns true when the request has been dealt with (or must be dropped). */
export async function transportFault(
  state: EmulatorState,
  fault: EmulatorFault,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  switch (fault) {
    case 'slow':
      await state.wait(state.slowMs);
      return res.destroyed;
    case 'hang':
      return true; // never answer; close() destroys the socket
    case 'reset':
      req.socket.destroy();
      return true;
    case 'garbage':
      send(res, 200, 'text/xml', '\u0000\u00ff\u00fe garbage \u0007 ]]> not xml at all {{{');
      return true;
    case 'html':
      send(
        res,
        200,
        'text/html; charset=utf-8',
        '<!DOCTYPE html><html><head><title>Welcome to Hotel Wi-Fi</title></head><body><h1>Please accept the terms to continue</h1><form method="post" action="/portal/accept"><button>Accept</button></form></body></html>',
      );
      return true;
    case 'html-500':
      send(
        res,
        500,
        'text/html; charset=utf-8',
        '<!DOCTYPE html><html><head><title>Internal Server Error</title></head><body><h1>500 Internal Server Error</h1><p>Proxy error.</p></body></html>',
      );
      return true;
    case 'empty':
      send(res, 200, 'text/xml', '');
      return true;
    default:
      return HOSTILE_FAULTS.has(fault) ? hostileFault(state, fault as HostileFault, req, res) : false;
  }
}
