import { SETTINGS, envLabel, parseBaseUrl } from '../core/config.js';
import { createDemoHandler } from './app.js';

export const handler = createDemoHandler(parseBaseUrl(process.env[SETTINGS.baseUrl.envVar], envLabel(SETTINGS.baseUrl)));
