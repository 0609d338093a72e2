import { createRouter } from '../../lib/create-app';
import * as handlers from './circulation.handlers';
import * as routes from './circulation.routes';
import { checkEligibility, eligibility } from './eligibility';

export const circulationRouter = createRouter().openapi(routes.checkIn, handlers.checkIn).openapi(eligibility, checkEligibility);
