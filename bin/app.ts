import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LoginFlowStack } from '../lib/login-flow-stack.js';
import { readStackOptions } from '../lib/stack-options.js';
import { ConfigError } from '../lambdas/core/config.js';

const app = new App();
try {
  // Reading the context and building the stack both validate; either may find a settings mistake.
  new LoginFlowStack(app, 'ServerlessOidcLogin', {
    options: readStackOptions(app.node),
    description: 'OAuth 2.0 / OpenID Connect sign-in (API Gateway HTTP API, Lambda, DynamoDB)',
  });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // A settings mistake gets one clear line, not a stack trace.
  process.stderr.write(`Configuration error: ${error.message}. Pass it with -c KEY=VALUE or in cdk.json "context".\n`);
  process.exit(1);
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
