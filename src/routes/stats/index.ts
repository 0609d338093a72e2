import { createRouter } from '../../lib/create-app';
import * as handlers from './stats.handlers';
import * as routes from './stats.routes';

export const statsRouter = createRouter().openapi(routes.getStats, handlers.getStats);
