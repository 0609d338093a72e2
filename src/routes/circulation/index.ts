import { createRouter } from '../../lib/create-app';
import * as handlers from './circulation.handlers';
import * as routes from './circulation.routes';

export const circulationRouter = createRouter().openapi(routes.checkIn, handlers.checkIn);
