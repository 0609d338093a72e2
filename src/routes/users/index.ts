import { createRouter, staticPathOnly } from '../../lib/create-app';
import * as handlers from './users.handlers';
import * as routes from './users.routes';

// Static paths first; then their other methods answer 405 rather than reach `/users/{id}`.
const staticRoutes = createRouter()
  .openapi(routes.register, handlers.register)
  .openapi(routes.login, handlers.login)
  .openapi(routes.logout, handlers.logout)
  .openapi(routes.getProfile, handlers.getProfile)
  .openapi(routes.updateProfile, handlers.updateProfile)
  .openapi(routes.deleteSelf, handlers.deleteSelf)
  .openapi(routes.listUsers, handlers.listUsers);
staticRoutes.all('/users/login', staticPathOnly).all('/users/logout', staticPathOnly).all('/users/profile', staticPathOnly);

export const usersRouter = staticRoutes
  .openapi(routes.getUser, handlers.getUser)
  .openapi(routes.updateUser, handlers.updateUser)
  .openapi(routes.deleteUser, handlers.deleteUser);
