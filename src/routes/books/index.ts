import { createRouter, staticPathOnly } from '../../lib/create-app';
import * as handlers from './books.handlers';
import * as routes from './books.routes';

// Static paths first; then their other methods answer 405 rather than reach `/books/{id}`.
const staticRoutes = createRouter()
  .openapi(routes.listBooks, handlers.listBooks)
  .openapi(routes.createBook, handlers.createBook)
  .openapi(routes.searchBooks, handlers.searchBooks)
  .openapi(routes.popularBooks, handlers.popularBooks)
  .openapi(routes.getBookByIsbn, handlers.getBookByIsbn)
  .openapi(routes.importBooks, handlers.importBooks)
  .openapi(routes.exportBooks, handlers.exportBooks);
staticRoutes
  .all('/books/search', staticPathOnly)
  .all('/books/popularity', staticPathOnly)
  .all('/books/import', staticPathOnly)
  .all('/books/export', staticPathOnly);

export const booksRouter = staticRoutes
  .openapi(routes.getBook, handlers.getBook)
  .openapi(routes.replaceBook, handlers.replaceBook)
  .openapi(routes.patchBook, handlers.patchBook)
  .openapi(routes.deleteBook, handlers.deleteBook);
