/**
 * The route table, in the order dispatch tries it. A new endpoint is a Route in its own file plus one line here:
 *   1. the ResetApiTokenConfirm guard (before anything else),
 *   2. login routes (they count the login, then apply the forced faults themselves),
 *   3. API routes (`api: true`: the global '*' transport fault first), ending with the API 404,
 *   4. web pages; dispatch answers the HTML 404 when nothing matched. (The OAuth authorize pages are web pages
 *      listed before the API routes: the API fallback would take their /services/ path.)
 */
import type { Route } from './http';
import { oauthApiRoutes, oauthLoginRoutes } from './oauth';
import { oauthWebRoutes } from './oauthWeb';
import { confirmGuardRoute, pageRoutes } from './resetPage';
import { apiFallbackRoute, dataRoutes, versionRoutes } from './rest';
import { soapRoutes } from './soap';

export const ROUTES: readonly Route[] = [
  confirmGuardRoute,
  ...soapRoutes,
  ...oauthLoginRoutes,
  ...oauthWebRoutes,
  ...versionRoutes,
  ...oauthApiRoutes,
  ...dataRoutes,
  apiFallbackRoute,
  ...pageRoutes,
];
