import { createRouter } from '../../lib/create-app';

export const loansRouter = createRouter();
