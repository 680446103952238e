import { Validations, type RemovalPolicy } from 'aws-cdk-lib';
import { HttpMethod, type HttpApi, type HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SETTINGS } from '../lambdas/core/config.js';
import { API_PROXY_TIMEOUT_SECONDS } from '../lambdas/core/proxy/limits.js';
import { grantAccessTokenUse } from './access-token-grant.js';
import { LoginFlowFunction } from './login-flow-function.js';
import type { SessionsTable } from './sessions-table.js';

export interface ApiProxyProps {
  readonly httpApi: HttpApi;
  /** The flow's settings as every sign-in function gets them. */
  readonly settingsEnvironment: Record<string, string>;
  /** Validated (lambdas/core/config.ts parseApiUrl), or a deploy-time token for an API on this stack. */
  readonly apiUrl: string;
  readonly sessions: SessionsTable;
  /** The Secrets Manager secrets the token source reads at init: the token key ring, and the client secret (to refresh). */
  readonly secrets: readonly ISecret[];
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * The token-handler proxy: `ANY /api/{proxy+}` to its function, which forwards to the API with the
 * session's access token. It touches the session's token attributes only (no profile claims), and
 * reads only the secrets it is given.
 */
export class ApiProxy extends Construct {
  public readonly function: LoginFlowFunction;
  public readonly routes: HttpRoute[];

  constructor(scope: Construct, id: string, props: ApiProxyProps) {
    super(scope, id);
    this.function = new LoginFlowFunction(this, 'apiProxy', {
      name: 'apiProxy',
      environment: { [SETTINGS.apiUrl.envVar]: props.apiUrl },
      logRemovalPolicy: props.logRemovalPolicy,
      timeoutSeconds: API_PROXY_TIMEOUT_SECONDS,
    });
    grantAccessTokenUse(this.function, { sessions: props.sessions, settingsEnvironment: props.settingsEnvironment, secrets: props.secrets });
    this.routes = props.httpApi.addRoutes({
      path: '/api/{proxy+}',
      methods: [HttpMethod.ANY],
      integration: new HttpLambdaIntegration('api-proxy-integration', this.function),
    });
    for (const route of this.routes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'The token-handler proxy decides about the session itself (401 JSON a browser app can act on, where an authorizer could only answer 403), and checks Origin and x-csrf on every state-changing method.',
      });
    }
  }
}
