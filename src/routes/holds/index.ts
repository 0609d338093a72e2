import { createRouter } from '../../lib/create-app';
import * as handlers from './holds.handlers';
import * as routes from './holds.routes';

export const holdsRouter = createRouter()
  .openapi(routes.placeHold, handlers.placeHold)
  .openapi(routes.listHolds, handlers.listHolds)
  .openapi(routes.getHold, handlers.getHold)
  .openapi(routes.cancelHold, handlers.cancelHold)
  .openapi(routes.bookQueue, handlers.bookQueue);
