import { createRouter } from '../../lib/create-app';
import * as handlers from './users.handlers';
import * as routes from './users.routes';

// Static paths (`/users/profile`) before `/users/{id}`.
export const usersRouter = createRouter()
  .openapi(routes.register, handlers.register)
  .openapi(routes.login, handlers.login)
  .openapi(routes.getProfile, handlers.getProfile)
  .openapi(routes.updateProfile, handlers.updateProfile)
  .openapi(routes.deleteSelf, handlers.deleteSelf)
  .openapi(routes.listUsers, handlers.listUsers)
  .openapi(routes.getUser, handlers.getUser)
  .openapi(routes.updateUser, handlers.updateUser)
  .openapi(routes.deleteUser, handlers.deleteUser);
