import type { RemovalPolicy } from 'aws-cdk-lib';
import { HttpMethod, type HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Construct } from 'constructs';
import { DEMO_API_PATH } from '../lambdas/demo-api/app.js';
import { LoginFlowFunction } from './login-flow-function.js';

export interface DemoApiProps {
  readonly httpApi: HttpApi;
  /** The `iss` every access token carries, exactly. */
  readonly issuer: string;
  /** The API's identifier at the provider (Auth0's `audience`): the tokens' `aud`. */
  readonly audience: string;
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * The API an access token is for: `GET /api-demo/whoami` behind API Gateway's own JWT authorizer
 * (signature from the issuer's JWKS, `iss`, `aud`, `exp`, `nbf`), so no request without a valid
 * token ever runs a function. Its function touches no table and no secret.
 */
export class DemoApi extends Construct {
  public readonly function: LoginFlowFunction;
  public readonly authorizer: HttpJwtAuthorizer;

  constructor(scope: Construct, id: string, props: DemoApiProps) {
    super(scope, id);
    this.function = new LoginFlowFunction(this, 'demoApi', { name: 'demoApi', environment: {}, logRemovalPolicy: props.logRemovalPolicy });
    this.authorizer = new HttpJwtAuthorizer('demo-api-jwt-authorizer', props.issuer, { authorizerName: 'access-token', jwtAudience: [props.audience] });
    props.httpApi.addRoutes({
      path: `${DEMO_API_PATH}/whoami`,
      methods: [HttpMethod.GET],
      integration: new HttpLambdaIntegration('demo-api-integration', this.function),
      authorizer: this.authorizer,
    });
  }
}
