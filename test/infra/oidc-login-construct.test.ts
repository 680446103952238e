import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination, type HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Template } from 'aws-cdk-lib/assertions';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { ConfigError, ID_TOKEN_SIGNING_ALGS } from '../../lambdas/core/config.js';
import { OidcLogin, type OidcLoginProps, type OidcLoginSettings } from '../../lib/oidc-login.js';
import { REQUIRED_SETTINGS } from '../support/settings.js';
import {
  CheckedApp,
  allStatements,
  getAtt,
  neededStatements,
  outputsOf,
  ref,
  resourceOf,
  resourcesOfType,
  roleOf,
  signInFunction,
  statementsOf,
  unordered,
  type DeployedFunction,
  type GrantTargets,
} from './login-flow-app.js';

/**
 * The construct as a user adds it: to a stack of their own, on their own HTTP API (with its own
 * access-logged stage), guarding their own routes with its authorizers.
 */
const CLIENT_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:auth0-client-AbCdEf';
const SETTINGS: OidcLoginSettings = { issuerUrl: REQUIRED_SETTINGS.issuerUrl, clientId: REQUIRED_SETTINGS.clientId };
/** The routes the construct adds, each public. */
const SIGN_IN_ROUTES = ['GET /login', 'GET /callback', 'GET /me', 'GET /signed-in', 'GET /logout', 'POST /logout', 'GET /signed-out', 'POST /backchannel-logout'];
type SignInFunction = Exclude<DeployedFunction, 'demo'>;
const SIGN_IN_FUNCTIONS: readonly SignInFunction[] = ['login', 'callback', 'session', 'logout', 'authorizer', 'pageAuthorizer', 'backchannelLogout'];

type UserProps = Omit<OidcLoginProps, 'settings' | 'httpApi'>;

class UserApp extends CheckedApp {
  readonly stack: Stack;
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  readonly login: OidcLogin;
  /** The user's API route, and a page route, behind the construct's two authorizers. */
  readonly guarded: HttpRoute;
  readonly page: HttpRoute;
  readonly unguarded: HttpRoute | undefined;
  readonly template: Template | undefined;

  constructor(props: UserProps, options: { unguardedRoute?: boolean } = {}) {
    // Roles, routes and authorizers do not depend on the bundles.
    super({}, { bundle: false });
    this.stack = new Stack(this.app, 'UserStack');
    this.api = new HttpApi(this.stack, 'user-api', { createDefaultStage: false });
    this.accessLogs = new LogGroup(this.stack, 'user-access-logs');
    this.stage = new HttpStage(this.stack, 'user-stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: { destination: new LogGroupLogDestination(this.accessLogs), format: AccessLogFormat.clf() },
    });
    this.login = new OidcLogin(this.stack, 'login', { settings: SETTINGS, httpApi: this.api, ...props });
    const backend = (path: string) => new HttpUrlIntegration(`backend-${path}`, `https://backend.example.com/${path}`);
    [this.guarded] = this.api.addRoutes({ path: '/orders', methods: [HttpMethod.GET], integration: backend('orders'), authorizer: this.login.authorizer }) as [HttpRoute];
    [this.page] = this.api.addRoutes({ path: '/account', methods: [HttpMethod.GET], integration: backend('account'), authorizer: this.login.pageAuthorizer }) as [HttpRoute];
    this.unguarded = options.unguardedRoute === true ? this.api.addRoutes({ path: '/status', methods: [HttpMethod.GET], integration: backend('status') })[0] : undefined;
    this.addChecks();
  }

  logicalId(construct: { node: { defaultChild?: unknown } }): string {
    return this.stack.getLogicalId(construct.node.defaultChild as Parameters<Stack['getLogicalId']>[0]);
  }

  functionIds(): Partial<Record<SignInFunction, string>> {
    return Object.fromEntries(
      SIGN_IN_FUNCTIONS.flatMap((name) => (this.login.functions[name] === undefined ? [] : [[name, this.logicalId(signInFunction(this.login, name))]])),
    );
  }

  targets(): GrantTargets {
    const { transactions, sessions, logoutTokens } = this.login;
    return {
      transactions: this.logicalId(transactions.table),
      sessions: this.logicalId(sessions.table),
      logoutTokens: logoutTokens === undefined ? undefined : this.logicalId(logoutTokens.table),
      secretArn: this.login.clientSecret === undefined ? undefined : CLIENT_SECRET_ARN,
    };
  }
}

/** Each configuration, synthesized once; the user's unguarded route is expected to fail the synth. */
const CONFIGURATIONS = {
  default: { props: {} as UserProps },
  'with a client secret': { props: {} as UserProps },
  'authorizerCacheTtl 5 minutes': { props: { authorizerCacheTtl: Duration.minutes(5) } as UserProps },
  'backchannelLogout false': { props: { backchannelLogout: false } as UserProps },
};
type Configuration = keyof typeof CONFIGURATIONS;

let apps: Record<Configuration, { app: UserApp; template: Template }>;
let unguarded: UserApp;

beforeAll(() => {
  apps = Object.fromEntries(
    (Object.keys(CONFIGURATIONS) as Configuration[]).map((name) => {
      const app = new UserApp(
        name === 'with a client secret'
          ? { clientSecret: Secret.fromSecretCompleteArn(new Stack(), 'user-secret', CLIENT_SECRET_ARN) }
          : CONFIGURATIONS[name].props,
      );
      return [name, { app, template: app.synthStack(app.stack) }];
    }),
  ) as Record<Configuration, { app: UserApp; template: Template }>;
  unguarded = new UserApp({}, { unguardedRoute: true });
});

afterAll(() => {
  for (const { app } of Object.values(apps ?? {})) app.remove();
  unguarded?.remove();
});

function routeKeys(template: Template): Record<string, CfnRouteProperties> {
  return Object.fromEntries(Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Route')).map((route) => [route.Properties.RouteKey, route.Properties as CfnRouteProperties]));
}

interface CfnRouteProperties {
  readonly ApiId: unknown;
  readonly AuthorizationType: string;
  readonly AuthorizerId?: { Ref: string };
}

function authorizerOf(template: Template, routeKey: string): Record<string, unknown> {
  const authorizer = routeKeys(template)[routeKey]?.AuthorizerId;
  if (authorizer === undefined) throw new Error(`${routeKey} has no authorizer`);
  return resourceOf(template, authorizer.Ref).Properties;
}
