import { createRouter } from '../../lib/create-app';

export const booksRouter = createRouter();
