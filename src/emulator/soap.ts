/**
 * SOAP login() (salesforce-facts.md §3): `POST /services/Soap/u/<ver>` (and /c/). LoginResult with userInfo in
 * the real element order; faults as HTTP 500 SOAP faults (faultcode plain, `sf:` or `ns1:` prefixed; faultstring
 * `CODE: text`; sf:LoginFault detail); the v65+ refusal; the SOAP-disabled org text; INSUFFICIENT_ACCESS;
 * passwordExpired=true.
 */
import { xmlEscape, xmlUnescape } from '../core/xml';
import { FAULT_TEXT, TRANSPORT_FAULTS, transportFault } from './faults';
import { sendXml, type RequestContext, type Route } from './http';
import { id18, type User } from './state';
import type { FaultcodeStyle, SoapFaultCode } from './types';

const SOAP_DISABLED_TEXT =
  'SOAP API login() is disabled by default in this org. Contact the org administrator to enable SOAP API login().';
const v65Text = (v: string) =>
  `The SOAP Login operation is not available in the API version specified (${v}). Refer to the documentation for supported versions.`;
const LOGIN_FAULTS = new Set<string>([
  'INVALID_LOGIN',
  'LOGIN_MUST_USE_SECURITY_TOKEN',
  'PASSWORD_LOCKOUT',
  'INVALID_OPERATION_WITH_EXPIRED_PASSWORD',
  'LOGIN_CHALLENGE_ISSUED',
]);

function soapFault(code: string, message: string, style: FaultcodeStyle): string {
  const loginFault = LOGIN_FAULTS.has(code);
  const type = loginFault
    ? 'LoginFault'
    : code === 'INVALID_OPERATION'
      ? 'InvalidOperationFault'
      : 'UnexpectedErrorFault';
  const faultcode =
    style === 'sf'
      ? `<faultcode>sf:${code}</faultcode>`
      : style === 'ns1'
        ? `<faultcode xmlns:ns1="urn:fault.partner.soap.sforce.com">ns1:${code}</faultcode>`
        : `<faultcode>${code}</faultcode>`;
  const detailEl = style === 'ns1' ? 'sf:fault' : `sf:${type}`;
  return (
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    `<soapenv:Body><soapenv:Fault>${faultcode}<faultstring>${xmlEscape(`${code}: ${message}`)}</faultstring>` +
    `<detail><${detailEl} xsi:type="sf:${type}"><sf:exceptionCode>${code}</sf:exceptionCode><sf:exceptionMessage>${xmlEscape(message)}</sf:exceptionMessage></${detailEl}></detail>` +
    '</soapenv:Fault></soapenv:Body></soapenv:Envelope>'
  );
}

function loginResult(base: string, u: User, version: string, sid: string, passwordExpired: boolean): string {
  const org15 = u.org.id.slice(0, 15);
  const nil = (name: string) => `<${name} xsi:nil="true"/>`;
  const el = (name: string, v: string) => `<${name}>${xmlEscape(v)}</${name}>`;
  const userInfo = [
    el('accessibilityMode', 'false'),
    el('chatterExternal', 'false'),
    el('currencySymbol', '$'),
    el('orgAttachmentFileSizeLimit', '5242880'),
    el('orgDefaultCurrencyIsoCode', 'USD'),
    nil('orgDefaultCurrencyLocale'),
    el('orgDisallowHtmlAttachments', 'false'),
    el('orgHasPersonAccounts', 'false'),
    el('organizationId', u.org.id),
    el('organizationMultiCurrency', 'false'),
    el('organizationName', u.org.name),
    el('profileId', id18('00e5g000000' + u.userId.slice(11, 15))),
    nil('roleId'),
    el('sessionSecondsValid', '7200'),
    nil('userDefaultCurrencyIsoCode'),
    el('userEmail', u.email),
    el('userFullName', u.language === 'ja' ? `${u.lastName} ${u.firstName}` : `${u.firstName} ${u.lastName}`),
    el('userId', u.userId),
    el('userLanguage', u.language === 'ja' ? 'ja' : 'en_US'),
    el('userLocale', u.language === 'ja' ? 'ja_JP' : 'en_US'),
    el('userName', u.username),
    el('userTimeZone', u.language === 'ja' ? 'Asia/Tokyo' : 'America/Los_Angeles'),
    el('userType', 'Standard'),
    el('userUiSkin', 'Theme3'),
  ].join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    '<soapenv:Body><loginResponse><result>' +
    el('metadataServerUrl', `${base}/services/Soap/m/${version}/${org15}`) +
    el('passwordExpired', String(passwordExpired)) +
    el('sandbox', String(u.org.sandbox)) +
    el('serverUrl', `${base}/services/Soap/u/${version}/${org15}`) +
    el('sessionId', sid) +
    el('userId', u.userId) +
    `<userInfo>${userInfo}</userInfo>` +
    '</result></loginResponse></soapenv:Body></soapenv:Envelope>'
  );
}

async function handleSoapLogin({ state, req, res, body }: RequestContext, version: string): Promise<void> {
  state.stats.soapLogins++;
  const username = xmlUnescape(/<(?:\w+:)?username>([^<]*)<\/(?:\w+:)?username>/.exec(body)?.[1] ?? '');
  const password = xmlUnescape(/<(?:\w+:)?password>([^<]*)<\/(?:\w+:)?password>/.exec(body)?.[1] ?? '');
  const forced = state.faultFor(username);
  const style = forced?.style ?? state.users.get(username.toLowerCase())?.faultcodeStyle ?? 'plain';
  const fail = (code: string, message: string) => {
    state.stats.failedLogins++;
    sendXml(res, 500, soapFault(code, message, style));
  };
  if (forced && TRANSPORT_FAULTS.has(forced.fault)) {
    if (await transportFault(state, forced.fault, req, res)) return;
  }
  const major = Number(version.split('.')[0]);
  if (!/^\d+\.\d$/.test(version) || major < 31)
    return fail('UNSUPPORTED_API_VERSION', FAULT_TEXT.UNSUPPORTED_API_VERSION);
  if (major >= 65) return fail('INVALID_OPERATION', v65Text(version));
  if (!/<(?:\w+:)?login[\s>]/.test(body) || !username) return fail('INVALID_LOGIN', FAULT_TEXT.INVALID_LOGIN);
  if (forced && !TRANSPORT_FAULTS.has(forced.fault)) {
    const f = forced.fault;
    if (f === 'passwordExpired') {
      const c = state.checkCredentials(username, password);
      if (!c.ok) return fail(c.code, FAULT_TEXT[c.code]);
      const sid = state.newSession(c.user, 'soap', true);
      return sendXml(res, 200, loginResult(state.base, c.user, version, sid, true));
    }
    if (f === 'SOAP_LOGIN_DISABLED') return fail('INVALID_OPERATION', SOAP_DISABLED_TEXT);
    return fail(f, FAULT_TEXT[f as SoapFaultCode]);
  }
  const c = state.checkCredentials(username, password);
  if (!c.ok) return fail(c.code, FAULT_TEXT[c.code]);
  const u = c.user;
  if (u.org.soapLoginDisabled) return fail('INVALID_OPERATION', SOAP_DISABLED_TEXT);
  if (u.org.requireUseAnyApiAuth && !u.useAnyApiAuth)
    return fail('INSUFFICIENT_ACCESS', FAULT_TEXT.INSUFFICIENT_ACCESS);
  if (u.org.apiDisabled) return fail('API_DISABLED_FOR_ORG', FAULT_TEXT.API_DISABLED_FOR_ORG);
  const sid = state.newSession(u, 'soap');
  sendXml(res, 200, loginResult(state.base, u, version, sid, false));
}

/** A login route: it applies the global ('*') transport fault itself (after counting the login), so not `api`. */
export const soapRoutes: Route[] = [
  { path: /^\/services\/Soap\/[uc]\/([^/]+)\/?$/, methods: ['POST'], handle: (ctx, m) => handleSoapLogin(ctx, m![1]!) },
];
