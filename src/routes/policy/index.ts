import { createRouter } from '../../lib/create-app';
import * as handlers from './policy.handlers';
import * as routes from './policy.routes';

export const policyRouter = createRouter()
  .openapi(routes.getPolicy, handlers.getPolicy)
  .openapi(routes.replacePolicy, handlers.replacePolicy)
  .openapi(routes.patchPolicy, handlers.patchPolicy);
