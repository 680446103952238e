import { Stack, type StackProps } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { SETTINGS } from '../lambdas/core/config.js';
import { APP_PAGE_PATH_ENV } from '../lambdas/core/contract.js';
import { HELLO_PAGE_PATH } from '../lambdas/demo/app.js';
import { DEMO_API_PATH } from '../lambdas/demo-api/app.js';
import { DemoApi } from './demo-api.js';
import { LoginFlowFunction } from './login-flow-function.js';
import { OidcLogin } from './oidc-login.js';
import { removalPolicyFor, type LoginFlowStackOptions } from './stack-options.js';

export interface LoginFlowStackProps extends StackProps {
  readonly options: LoginFlowStackOptions;
}

/** The project's own deployment: the sign-in construct, and a demo app behind it. */
export class LoginFlowStack extends Stack {
  public readonly signIn: OidcLogin;
  public readonly demoFunction: LoginFlowFunction;
  /** Only with an `audience`: without one the provider issues no access token for an API (Auth0's is then opaque). */
  public readonly demoApi: DemoApi | undefined;

  constructor(scope: Construct, id: string, props: LoginFlowStackProps) {
    super(scope, id, props);
    const { options } = props;
    const removalPolicy = removalPolicyFor(options);

    this.signIn = new OidcLogin(this, 'sign-in', {
      settings: { ...options.rawSettings, issuerUrl: options.settings.issuer, clientId: options.settings.clientId },
      ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
      createClientSecret: options.createClientSecret,
      removalPolicy,
      pointInTimeRecoveryDays: options.pointInTimeRecoveryDays,
      throttle: { rateLimit: options.throttleRateLimit, burstLimit: options.throttleBurstLimit },
      rejectedCallbacksAlarmThreshold: options.rejectedCallbacksAlarmThreshold,
      ...(options.rateLimitPerFiveMinutes === undefined ? {} : { rateLimit: { requestsPerFiveMinutes: options.rateLimitPerFiveMinutes } }),
      ...(options.alarmTopicArn === undefined ? {} : { alarmAction: new SnsAction(Topic.fromTopicArn(this, 'alarm-topic', options.alarmTopicArn)) }),
    });

    // The demo app: what a user's own routes look like behind the sign-in. Its function touches no table.
    this.demoFunction = new LoginFlowFunction(this, 'demo', {
      name: 'demo',
      environment: { [SETTINGS.baseUrl.envVar]: this.signIn.baseUrl },
      logRemovalPolicy: removalPolicy,
    });
    const demo = new HttpLambdaIntegration('demo-integration', this.demoFunction);
    const { httpApi, authorizer, pageAuthorizer } = this.signIn;
    this.signIn.functions.session.addEnvironment(APP_PAGE_PATH_ENV, HELLO_PAGE_PATH);
    httpApi.addRoutes({ path: '/hello', methods: [HttpMethod.GET], integration: demo, authorizer });
    httpApi.addRoutes({ path: HELLO_PAGE_PATH, methods: [HttpMethod.GET], integration: demo, authorizer: pageAuthorizer });

    const { audience, issuer, apiUrl } = this.signIn.settings;
    this.demoApi = audience === undefined ? undefined : new DemoApi(this, 'demo-api', { httpApi, issuer, audience, logRemovalPolicy: removalPolicy });
    // The proxy forwards to the demo API unless apiUrl names another; it needs the token keys (given, or made with a client secret).
    if (this.demoApi !== undefined && apiUrl === undefined && this.signIn.tokenKeySecret !== undefined) {
      this.signIn.proxyApi(`${this.signIn.baseUrl}${DEMO_API_PATH}`);
    }
  }
}
