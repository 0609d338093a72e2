import { createRouter } from '../../lib/create-app';
import * as handlers from './copies.handlers';
import * as routes from './copies.routes';

export const copiesRouter = createRouter()
  .openapi(routes.createCopy, handlers.createCopy)
  .openapi(routes.listBookCopies, handlers.listBookCopies)
  .openapi(routes.getCopyByBarcode, handlers.getCopyByBarcode)
  .openapi(routes.getCopy, handlers.getCopy)
  .openapi(routes.patchCopy, handlers.patchCopy)
  .openapi(routes.deleteCopy, handlers.deleteCopy);
