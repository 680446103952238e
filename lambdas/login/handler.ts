import { loginDependenciesFromEnv } from '../shared/dependencies.js';
import { createLoginHandler } from './app.js';

export const handler = createLoginHandler(loginDependenciesFromEnv(process.env));
