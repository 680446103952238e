import { whoami } from './app.js';

export const handler = whoami;
