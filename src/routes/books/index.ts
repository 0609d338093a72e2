import { createRouter } from '../../lib/create-app';
import * as handlers from './books.handlers';
import * as routes from './books.routes';

// Static paths (`/books/search`, `/books/popularity`) before `/books/{id}`.
export const booksRouter = createRouter()
  .openapi(routes.listBooks, handlers.listBooks)
  .openapi(routes.createBook, handlers.createBook)
  .openapi(routes.searchBooks, handlers.searchBooks)
  .openapi(routes.popularBooks, handlers.popularBooks)
  .openapi(routes.getBook, handlers.getBook)
  .openapi(routes.replaceBook, handlers.replaceBook)
  .openapi(routes.patchBook, handlers.patchBook)
  .openapi(routes.deleteBook, handlers.deleteBook);
