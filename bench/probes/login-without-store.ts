import { loadConfigFromEnv } from '../../lambdas/core/config.js';
import { createLoginHandler } from '../../lambdas/login/app.js';
import { writeRequestLog } from '../../lambdas/shared/request-log.js';

/**
 * Not a function of the project: the login handler with its one DynamoDB write replaced by a no-op,
 * run through the same warm loop as the functions. What it costs is what the project's own code
 * costs; the rest of a login's cost is the write through the AWS SDK.
 */
export const handler = createLoginHandler({
  config: loadConfigFromEnv(process.env),
  store: {
    savePending: () => Promise.resolve(),
    warmUp: () => Promise.resolve(),
  },
  now: Date.now,
  log: writeRequestLog,
});
