/**
 * The REST side a login check touches: `GET /services/data/` (versions), `GET /id/<org>/<user>` (identity, by
 * `oauth_token=` or Bearer), `GET /services/data/vXX.X/` resources, `/limits` (counts DailyApiRequests), `/query`
 * (SELECT … FROM Organization / User); 401 INVALID_SESSION_ID without a session.
 */
import { FAULT_TEXT } from './faults';
import { apiNotFound, invalidSession, send, sendJson, type RequestContext, type Route } from './http';
import type { Session, User } from './state';

const API_VERSIONS = ['58.0', '59.0', '60.0', '61.0', '62.0', '63.0', '64.0', '65.0', '66.0'];
const RELEASES: Record<string, string> = {
  '58.0': "Summer '23",
  '59.0': "Winter '24",
  '60.0': "Spring '24",
  '61.0': "Summer '24",
  '62.0': "Winter '25",
  '63.0': "Spring '25",
  '64.0': "Summer '25",
  '65.0': "Winter '26",
  '66.0': "Spring '26",
};

/** The identity document of `/id/<org>/<user>` (also the source of OpenID userinfo). */
export function identity(base: string, u: User): Record<string, unknown> {
  const v = '{version}';
  return {
    id: `${base}/id/${u.org.id}/${u.userId}`,
    asserted_user: true,
    user_id: u.userId,
    organization_id: u.org.id,
    username: u.username,
    nick_name: u.username.split('@')[0],
    display_name: `${u.firstName} ${u.lastName}`,
    email: u.email,
    email_verified: true,
    first_name: u.firstName,
    last_name: u.lastName,
    timezone: u.language === 'ja' ? 'Asia/Tokyo' : 'America/Los_Angeles',
    photos: { picture: `${base}/profilephoto/005/F`, thumbnail: `${base}/profilephoto/005/T` },
    addr_street: null,
    addr_city: null,
    addr_state: null,
    addr_country: null,
    addr_zip: null,
    mobile_phone: null,
    mobile_phone_verified: false,
    is_lightning_login_user: false,
    status: { created_date: null, body: null },
    urls: {
      enterprise: `${base}/services/Soap/c/${v}/${u.org.id}`,
      metadata: `${base}/services/Soap/m/${v}/${u.org.id}`,
      partner: `${base}/services/Soap/u/${v}/${u.org.id}`,
      rest: `${base}/services/data/v${v}/`,
      sobjects: `${base}/services/data/v${v}/sobjects/`,
      search: `${base}/services/data/v${v}/search/`,
      query: `${base}/services/data/v${v}/query/`,
      recent: `${base}/services/data/v${v}/recent/`,
      profile: `${base}/${u.userId}`,
      custom_domain: base,
    },
    active: true,
    user_type: 'STANDARD',
    language: u.language === 'ja' ? 'ja' : 'en_US',
    locale: u.language === 'ja' ? 'ja_JP' : 'en_US',
    utcOffset: u.language === 'ja' ? 32400000 : -28800000,
    last_modified_date: '2024-05-02T11:41:52Z',
    is_app_installed: true,
  };
}

function handleIdentity({ state, req, res, url }: RequestContext, orgId: string, userId: string): void {
  const s = state.sessionOf(req, url);
  if (!s) return send(res, 403, 'text/plain', 'Bad_OAuth_Token'); // as userinfo: expired, revoked or unknown
  if (s.user.org.id !== orgId || s.user.userId !== userId) return send(res, 403, 'text/plain', 'Bad_Id');
  sendJson(res, 200, identity(state.base, s.user));
}

function handleRestData({ state, res, url, method }: RequestContext, s: Session): void {
  const base = state.base;
  const m = /^\/services\/data\/v(\d+\.\d)(\/.*)?$/.exec(url.pathname);
  if (!m) return apiNotFound(res);
  const version = m[1]!;
  const rest = (m[2] ?? '/').replace(/\/+$/, '') || '/';
  const org = s.user.org;
  if (s.passwordExpired)
    return sendJson(res, 500, [
      {
        errorCode: 'INVALID_OPERATION_WITH_EXPIRED_PASSWORD',
        message: FAULT_TEXT.INVALID_OPERATION_WITH_EXPIRED_PASSWORD,
      },
    ]);
  if (org.apiDisabled)
    return sendJson(res, 403, [{ errorCode: 'API_DISABLED_FOR_ORG', message: FAULT_TEXT.API_DISABLED_FOR_ORG }]);
  if (org.dailyUsed >= org.dailyMax)
    return sendJson(res, 403, [{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: FAULT_TEXT.REQUEST_LIMIT_EXCEEDED }]);
  org.dailyUsed++;
  state.stats.apiCalls++;
  const p = `/services/data/v${version}`;
  if (rest === '/') {
    return sendJson(res, 200, {
      tooling: `${p}/tooling`,
      metadata: `${p}/metadata`,
      eclair: `${p}/eclair`,
      folders: `${p}/folders`,
      prechatForms: `${p}/prechatForms`,
      jsonxform: `${p}/jsonxform`,
      chatter: `${p}/chatter`,
      tabs: `${p}/tabs`,
      appMenu: `${p}/appMenu`,
      quickActions: `${p}/quickActions`,
      queryAll: `${p}/queryAll`,
      commerce: `${p}/commerce`,
      wave: `${p}/wave`,
      analytics: `${p}/analytics`,
      search: `${p}/search`,
      identity: `${base}/id/${org.id}/${s.user.userId}`,
      composite: `${p}/composite`,
      parameterizedSearch: `${p}/parameterizedSearch`,
      theme: `${p}/theme`,
      nouns: `${p}/nouns`,
      recent: `${p}/recent`,
      licensing: `${p}/licensing`,
      limits: `${p}/limits`,
      async: `${p}/async`,
      query: `${p}/query`,
      sobjects: `${p}/sobjects`,
    });
  }
  if (rest === '/limits') {
    const remaining = Math.max(0, org.dailyMax - org.dailyUsed);
    return sendJson(res, 200, {
      ConcurrentAsyncGetReportInstances: { Max: 200, Remaining: 200 },
      ConcurrentSyncReportRuns: { Max: 20, Remaining: 20 },
      DailyApiRequests: { Max: org.dailyMax, Remaining: remaining },
      DailyAsyncApexExecutions: { Max: 250000, Remaining: 250000 },
      DailyBulkApiBatches: { Max: 15000, Remaining: 15000 },
      DataStorageMB: { Max: 5, Remaining: 5 },
      FileStorageMB: { Max: 20, Remaining: 20 },
      SingleEmail: { Max: 15, Remaining: 15 },
    });
  }
  if (rest === '/query') {
    const q = url.searchParams.get('q') ?? '';
    const from = /\bfrom\s+(\w+)/i.exec(q)?.[1]?.toLowerCase();
    if (from === 'organization') {
      return sendJson(res, 200, {
        totalSize: 1,
        done: true,
        records: [
          {
            attributes: { type: 'Organization', url: `${p}/sobjects/Organization/${org.id}` },
            Id: org.id,
            Name: org.name,
            IsSandbox: org.sandbox,
            // What the sf CLI asks for after a login (it asks again on every command while OrganizationType is missing).
            InstanceName: 'EMU1',
            TrialExpirationDate: null,
            NamespacePrefix: null,
            OrganizationType: org.sandbox ? 'Enterprise Edition' : 'Developer Edition',
          },
        ],
      });
    }
    if (from === 'user') {
      const u = s.user;
      return sendJson(res, 200, {
        totalSize: 1,
        done: true,
        records: [
          {
            attributes: { type: 'User', url: `${p}/sobjects/User/${u.userId}` },
            Id: u.userId,
            Username: u.username,
            Name: `${u.firstName} ${u.lastName}`,
            Email: u.email,
          },
        ],
      });
    }
    return sendJson(res, 400, [
      { message: `sObject type '${from ?? ''}' is not supported by the emulator.`, errorCode: 'INVALID_TYPE' },
    ]);
  }
  // `sobjects/User/<id>`: the sf CLI reads the Username of the user_id userinfo gave it (after `org login access-token`).
  const userRec = /^\/sobjects\/User\/([a-zA-Z0-9]{15,18})$/.exec(rest);
  if (userRec && method === 'GET') {
    const u = [...state.users.values()].find(
      (x) => x.org === org && (x.userId === userRec[1] || x.userId.slice(0, 15) === userRec[1]!.slice(0, 15)),
    );
    if (!u) return apiNotFound(res);
    return sendJson(res, 200, {
      attributes: { type: 'User', url: `${p}/sobjects/User/${u.userId}` },
      Id: u.userId,
      Username: u.username,
      Name: `${u.firstName} ${u.lastName}`,
      FirstName: u.firstName,
      LastName: u.lastName,
      Email: u.email,
      IsActive: true,
      LanguageLocaleKey: u.language === 'ja' ? 'ja' : 'en_US',
    });
  }
  return apiNotFound(res);
}

export const versionRoutes: Route[] = [
  {
    path: (url) => url.pathname === '/services/data' || url.pathname === '/services/data/',
    api: true,
    handle: ({ res }) =>
      sendJson(
        res,
        200,
        API_VERSIONS.map((v) => ({ label: RELEASES[v], url: `/services/data/v${v}`, version: v })),
      ),
  },
  {
    path: /^\/id\/([a-zA-Z0-9]{15,18})\/([a-zA-Z0-9]{15,18})\/?$/,
    api: true,
    handle: (ctx, m) => handleIdentity(ctx, m![1]!, m![2]!),
  },
];

export const dataRoutes: Route[] = [
  {
    path: (url) => url.pathname.startsWith('/services/data/v'),
    api: true,
    handle: (ctx) => {
      const s = ctx.state.sessionOf(ctx.req, ctx.url);
      if (!s) return invalidSession(ctx.res);
      return handleRestData(ctx, s);
    },
  },
];

/** Any other API path: 404 (after the global transport fault, as for every API request). */
export const apiFallbackRoute: Route = {
  path: (url) => url.pathname.startsWith('/services/') || url.pathname.startsWith('/id/'),
  api: true,
  handle: ({ res }) => apiNotFound(res),
};
