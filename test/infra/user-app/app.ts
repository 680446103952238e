import { App, Stack } from 'aws-cdk-lib';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Code, Function, Runtime } from 'aws-cdk-lib/aws-lambda';
import { OidcLogin } from 'serverless-oidc-login';

/**
 * A user's own CDK app, importing the package by its name exactly as the README shows: an existing
 * HTTP API and function, the sign-in added in a few lines, and the app's route guarded by it.
 */
const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'UserStack');
const api = new HttpApi(stack, 'orders-api');
const orders = new Function(stack, 'orders', {
  runtime: Runtime.NODEJS_24_X,
  handler: 'index.handler',
  code: Code.fromInline('export const handler = async (event) => ({ statusCode: 200, body: event.requestContext.authorizer.lambda.sub });'),
});

const login = new OidcLogin(stack, 'login', {
  httpApi: api,
  settings: { issuerUrl: 'https://tenant.auth0.com/', clientId: 'abc123' },
  createClientSecret: true,
});
api.addRoutes({ path: '/orders', methods: [HttpMethod.GET], integration: new HttpLambdaIntegration('orders', orders), authorizer: login.authorizer });

app.synth();
