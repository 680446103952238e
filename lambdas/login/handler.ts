import { dependenciesFromEnv } from '../shared/dependencies.js';
import { createLoginHandler } from './app.js';

export const handler = createLoginHandler(dependenciesFromEnv(process.env));
