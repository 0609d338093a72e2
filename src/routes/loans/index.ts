import { createRouter } from '../../lib/create-app';
import * as handlers from './loans.handlers';
import * as routes from './loans.routes';

export const loansRouter = createRouter()
  .openapi(routes.createLoan, handlers.createLoan)
  .openapi(routes.listLoans, handlers.listLoans)
  .openapi(routes.getLoan, handlers.getLoan)
  .openapi(routes.addBook, handlers.addBook)
  .openapi(routes.addCopy, handlers.addCopy)
  .openapi(routes.removeBook, handlers.removeBook)
  .openapi(routes.returnLoan, handlers.returnLoan)
  .openapi(routes.renewLoan, handlers.renewLoan)
  .openapi(routes.deleteLoan, handlers.deleteLoan);
