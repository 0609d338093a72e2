import { createRouter, staticPathOnly } from '../../lib/create-app';
import * as handlers from './accounts.handlers';
import * as routes from './accounts.routes';

// The static path first, so `/users/profile/account` never reaches `/users/{id}/account`.
const staticRoutes = createRouter().openapi(routes.ownAccount, handlers.ownAccount);
staticRoutes.all('/users/profile/account', staticPathOnly);

export const accountsRouter = staticRoutes
  .openapi(routes.userAccount, handlers.userAccount)
  .openapi(routes.recordCharge, handlers.recordCharge)
  .openapi(routes.recordPayment, handlers.recordPayment)
  .openapi(routes.recordWaiver, handlers.recordWaiver);
