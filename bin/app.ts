import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LoginFlowStack } from '../lib/login-flow-stack.js';
import { readStackOptions, type LoginFlowStackOptions } from '../lib/stack-options.js';
import { ConfigError } from '../lambdas/core/config.js';

const app = new App();
let options: LoginFlowStackOptions;
try {
  options = readStackOptions(app.node);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // A settings mistake gets one clear line, not a stack trace.
  process.stderr.write(`Configuration error: ${error.message}. Pass it with -c KEY=VALUE or in cdk.json "context".\n`);
  process.exit(1);
}
new LoginFlowStack(app, 'ServerlessOidcLogin', {
  options,
  description: 'OAuth 2.0 / OpenID Connect authorization-code login flow (API Gateway HTTP API, Lambda, DynamoDB)',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
