import { CfnOutput, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { HttpApi, HttpMethod, HttpRoute, HttpRouteKey } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { ParamsAndSecretsLayerVersion, ParamsAndSecretsLogLevel, ParamsAndSecretsVersions } from 'aws-cdk-lib/aws-lambda';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  ConfigError,
  SETTINGS,
  parseBaseUrl,
  parseFlowSettings,
  settingsToEnv,
  type FlowSettings,
  type RawSettings,
  type SettingName,
} from '../lambdas/core/config.js';
import {
  AUTHORIZER_MODE_ENV,
  CALLBACK_TIMEOUT_SECONDS,
  LOGOUT_TOKEN_TABLE_NAME_ENV,
  ORIGIN_VERIFY_HEADER,
  ORIGIN_VERIFY_SECRET_ENV,
  SESSION_TABLE_NAME_ENV,
  TABLE_NAME_ENV,
  type AuthorizerMode,
} from '../lambdas/core/contract.js';
import type { FunctionName } from './bundling.js';
import { DEFAULT_PITR_DAYS } from './flow-table.js';
import { LoginApi } from './login-api.js';
import { LoginFlowFunction } from './login-flow-function.js';
import { LogoutTokensTable } from './logout-tokens-table.js';
import { LoginFlowMonitoring } from './monitoring.js';
import { RateLimitedEdge, validateRateLimitedEdge } from './rate-limited-edge.js';
import { SessionsTable } from './sessions-table.js';
import { TransactionsTable } from './transactions-table.js';

/** A setting's value as a construct prop: lists (`idTokenSigningAlgs`, `profileClaims`) may be arrays. */
export type OidcLoginSettingValue = string | number | boolean | readonly string[];

/**
 * The provider and client settings, named as the CDK context keys are (see the README's
 * configuration table for each one's default); validated when the construct is created.
 */
export type OidcLoginSettings = { readonly issuerUrl: string; readonly clientId: string } & {
  readonly [Name in Exclude<SettingName, 'issuerUrl' | 'clientId' | 'baseUrl'>]?: OidcLoginSettingValue;
};

export interface OidcLoginProps {
  readonly settings: OidcLoginSettings;
  /** Your HTTP API: the sign-in adds its routes to it. @default a new HTTP API, throttled and access-logged */
  readonly httpApi?: HttpApi;
  /**
   * The public base URL (a custom domain, without a path: cookies are scoped to a host).
   * @default the rate-limited edge's URL with `rateLimit`, else the HTTP API's own URL
   */
  readonly baseUrl?: string;
  /**
   * The client secret the callback redeems codes with (read once per execution environment). Or set
   * `settings.clientSecretArn`, or `createClientSecret`.
   * @default none: the flow stops at the recorded authorization code
   */
  readonly clientSecret?: ISecret;
  /** Make a Secrets Manager secret holding a random placeholder, to be replaced with the client secret. @default false */
  readonly createClientSecret?: boolean;
  /**
   * How long API Gateway caches the session authorizer's answer per Cookie header. While cached, a
   * signed-out or revoked session still passes.
   * @default Duration.seconds(0): every request is checked, so sign-out takes effect at once
   */
  readonly authorizerCacheTtl?: Duration;
  /** `POST /backchannel-logout`, so sign-out at the provider ends sessions here. @default true */
  readonly backchannelLogout?: boolean;
  /** For the tables, the made secrets and the log groups. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * How far back the tables' point-in-time recovery reaches, 1-35 days. Backups keep codes,
   * verifiers and sessions that TTL has since removed for this long.
   * @default 35
   */
  readonly pointInTimeRecoveryDays?: number;
  /** For an HTTP API the construct makes (yours keeps its own stage settings). @default DEFAULT_THROTTLE: 100 requests/s, burst 200 */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * A per-client rate limit: CloudFront with an AWS WAF rate-based rule (per client IP, per path) in
   * front of the HTTP API, and the sign-in's functions refusing requests that did not come through it.
   * Your own routes on the API get the same only behind `authorizer` or `pageAuthorizer`. A web ACL
   * made here needs the stack in us-east-1; elsewhere pass `webAclArn` (see RateLimitedEdge).
   * @default none: no CloudFront, no WAF, only the stage throttle
   */
  readonly rateLimit?: { readonly requestsPerFiveMinutes: number; readonly webAclArn?: string };
  /** Rejected callbacks per 5 minutes that raise an alarm. @default 25 */
  readonly rejectedCallbacksAlarmThreshold?: number;
  /** Where alarms notify. @default none */
  readonly alarmAction?: IAlarmAction;
}

/**
 * A cap on the whole stage, shared by every client, so it is no per-client defence (that is
 * `rateLimit`'s WAF rule): it bounds what a flood can cost, at most 100 logins and so 100 DynamoDB
 * write units a second, while one client alone must send that much to make everyone wait. Far below
 * API Gateway's and Lambda's account limits, so it never competes with other APIs in the account.
 */
export const DEFAULT_THROTTLE = { rateLimit: 100, burstLimit: 200 } as const;
export const DEFAULT_REJECTED_CALLBACKS_ALARM_THRESHOLD = 25;
/** API Gateway's limit for a Lambda authorizer's result cache. */
const MAX_AUTHORIZER_CACHE_SECONDS = 3600;

const propLabel = (spec: { readonly contextKey: string }): string => `OidcLogin settings.${spec.contextKey}`;

function rawSettingsOf(settings: OidcLoginSettings): RawSettings {
  const raw: RawSettings = {};
  for (const [name, value] of Object.entries(settings) as [SettingName, OidcLoginSettingValue | undefined][]) {
    if (value === undefined) continue;
    raw[name] = Array.isArray(value) ? value.join(' ') : String(value);
  }
  return raw;
}

/**
 * The whole sign-in as one construct: tables, functions, routes, a session authorizer for your
 * routes, alarms and outputs, least privilege throughout. Add your routes with `authorizer` (APIs:
 * 403 without a session) or `pageAuthorizer` (pages: your function gets the user or sends the
 * browser to sign in, see `lambdas/app/signed-in-user.ts`).
 */
export class OidcLogin extends Construct {
  public readonly settings: FlowSettings;
  public readonly httpApi: HttpApi;
  /** The API the construct made, with its stage and access logs; undefined when given yours. */
  public readonly madeApi: LoginApi | undefined;
  /** The public base URL, `https://host` (a deploy-time token unless `baseUrl` was given). */
  public readonly baseUrl: string;
  public readonly transactions: TransactionsTable;
  public readonly sessions: SessionsTable;
  public readonly logoutTokens: LogoutTokensTable | undefined;
  public readonly clientSecret: ISecret | undefined;
  public readonly functions: Readonly<Partial<Record<FunctionName | 'pageAuthorizer', LoginFlowFunction>>> & {
    readonly login: LoginFlowFunction;
    readonly callback: LoginFlowFunction;
    readonly session: LoginFlowFunction;
    readonly logout: LoginFlowFunction;
    readonly authorizer: LoginFlowFunction;
    readonly pageAuthorizer: LoginFlowFunction;
  };
  /** For API routes: a request without a valid session gets 401 (no cookie at all) or 403. */
  public readonly authorizer: HttpLambdaAuthorizer;
  /** For page routes: always lets the request through, with the user or `authenticated: false` in the context. */
  public readonly pageAuthorizer: HttpLambdaAuthorizer;
  public readonly monitoring: LoginFlowMonitoring;
  /** CloudFront and WAF in front of the API; undefined without `rateLimit`. */
  public readonly edge: RateLimitedEdge | undefined;

  constructor(scope: Construct, id: string, props: OidcLoginProps) {
    super(scope, id);
    // Validated first: a mistake names the prop before anything is made.
    this.settings = parseFlowSettings(rawSettingsOf(props.settings), propLabel);
    const baseUrlProp = props.baseUrl === undefined ? undefined : parseBaseUrl(props.baseUrl, 'OidcLogin baseUrl');
    const secretSources = [this.settings.clientSecretArn !== undefined, props.clientSecret !== undefined, props.createClientSecret === true];
    if (secretSources.filter(Boolean).length > 1) {
      throw new ConfigError('OidcLogin takes one client secret: settings.clientSecretArn, clientSecret or createClientSecret');
    }
    const signsIn = secretSources.some(Boolean);
    // The deployed functions are not given the token keys' secret (nor the permission to read it) yet.
    if (this.settings.tokenKeySecretArn !== undefined) {
      throw new ConfigError(`${propLabel(SETTINGS.tokenKeySecretArn)} is not supported by OidcLogin yet: deployed sessions keep no tokens`);
    }
    if (signsIn && !this.settings.scope.split(' ').includes('openid')) {
      throw new ConfigError(`${propLabel(SETTINGS.scope)} must include openid when a client secret is configured: signing in needs an ID token`);
    }
    const cacheSeconds = (props.authorizerCacheTtl ?? Duration.seconds(0)).toSeconds({ integral: false });
    if (!Number.isInteger(cacheSeconds) || cacheSeconds < 0 || cacheSeconds > MAX_AUTHORIZER_CACHE_SECONDS) {
      throw new ConfigError(`OidcLogin authorizerCacheTtl must be whole seconds from 0 to ${MAX_AUTHORIZER_CACHE_SECONDS}`);
    }
    const pointInTimeRecoveryDays = props.pointInTimeRecoveryDays ?? DEFAULT_PITR_DAYS;
    if (!Number.isInteger(pointInTimeRecoveryDays) || pointInTimeRecoveryDays < 1 || pointInTimeRecoveryDays > 35) {
      throw new ConfigError(`OidcLogin pointInTimeRecoveryDays must be a whole number from 1 to 35, got ${pointInTimeRecoveryDays}`);
    }
    if (props.rateLimit !== undefined) validateRateLimitedEdge(this, props.rateLimit, 'OidcLogin rateLimit');
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const backchannel = props.backchannelLogout ?? true;

    const tableProps = { removalPolicy, pointInTimeRecoveryDays };
    this.transactions = new TransactionsTable(this, 'transactions', tableProps);
    this.sessions = new SessionsTable(this, 'sessions', tableProps);
    this.logoutTokens = backchannel ? new LogoutTokensTable(this, 'logout-tokens', tableProps) : undefined;
    this.clientSecret = this.secretFor(props, removalPolicy);

    // Only the callback reads the secret, so only the callback is told where it is.
    const settings = settingsToEnv({ ...this.settings, clientSecretArn: undefined });
    const transactionsTable = { [TABLE_NAME_ENV]: this.transactions.table.tableName };
    const sessionsTable = { [SESSION_TABLE_NAME_ENV]: this.sessions.table.tableName };
    const make = (name: FunctionName, environment: Record<string, string>, extra: Partial<ConstructorParameters<typeof LoginFlowFunction>[2]> = {}) =>
      new LoginFlowFunction(this, name, { name, environment: { ...settings, ...environment }, logRemovalPolicy: removalPolicy, ...extra });
    const authorizerIn = (mode: AuthorizerMode, id: string) =>
      new LoginFlowFunction(this, id, {
        name: 'authorizer',
        environment: { ...settings, ...sessionsTable, [AUTHORIZER_MODE_ENV]: mode },
        logRemovalPolicy: removalPolicy,
      });

    const login = make('login', transactionsTable);
    const callback = make(
      'callback',
      {
        ...transactionsTable,
        ...sessionsTable,
        // The ARN only: the secret itself is read at init, through the extension, never from the environment.
        ...(this.clientSecret === undefined ? {} : { [SETTINGS.clientSecretArn.envVar]: this.clientSecret.secretArn }),
      },
      {
        timeoutSeconds: CALLBACK_TIMEOUT_SECONDS,
        ...(this.clientSecret === undefined
          ? {}
          : {
              paramsAndSecrets: ParamsAndSecretsLayerVersion.fromVersion(ParamsAndSecretsVersions.V1_0_103, {
                cacheSize: 1,
                logLevel: ParamsAndSecretsLogLevel.WARN,
                secretsManagerTimeout: Duration.seconds(3),
              }),
            }),
      },
    );
    const session = make('session', sessionsTable);
    const logout = make('logout', sessionsTable);
    const authorizer = authorizerIn('require', 'authorizer');
    const pageAuthorizer = authorizerIn('optional', 'page-authorizer');
    const backchannelLogout =
      this.logoutTokens === undefined
        ? undefined
        : make('backchannelLogout', { ...sessionsTable, [LOGOUT_TOKEN_TABLE_NAME_ENV]: this.logoutTokens.table.tableName });

    this.transactions.grantCreate(login);
    this.transactions.grantConsume(callback);
    if (this.clientSecret !== undefined) {
      // GetSecretValue alone: grantRead would add DescribeSecret, which reading the value never needs.
      callback.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.clientSecret.secretArn] }));
      this.sessions.grantCreate(callback);
    }
    this.sessions.grantReadAndTouch(session);
    this.sessions.grantEnd(logout);
    this.sessions.grantRead(authorizer);
    this.sessions.grantRead(pageAuthorizer);
    if (backchannelLogout !== undefined && this.logoutTokens !== undefined) {
      this.sessions.grantFindAndEnd(backchannelLogout);
      this.logoutTokens.grantRecord(backchannelLogout);
    }
    this.functions = { login, callback, session, logout, authorizer, pageAuthorizer, ...(backchannelLogout === undefined ? {} : { backchannelLogout }) };
    const all = Object.values(this.functions);

    this.madeApi =
      props.httpApi === undefined
        ? new LoginApi(this, 'api', {
            throttleRateLimit: props.throttle?.rateLimit ?? DEFAULT_THROTTLE.rateLimit,
            throttleBurstLimit: props.throttle?.burstLimit ?? DEFAULT_THROTTLE.burstLimit,
            logRemovalPolicy: removalPolicy,
          })
        : undefined;
    this.httpApi = props.httpApi ?? (this.madeApi as LoginApi).api;
    this.edge =
      props.rateLimit === undefined
        ? undefined
        : new RateLimitedEdge(this, 'edge', {
            httpApi: this.httpApi,
            requestsPerFiveMinutes: props.rateLimit.requestsPerFiveMinutes,
            ...(props.rateLimit.webAclArn === undefined ? {} : { webAclArn: props.rateLimit.webAclArn }),
            removalPolicy,
          });
    this.baseUrl = baseUrlProp ?? this.edge?.url ?? this.httpApi.apiEndpoint;
    for (const fn of all) {
      fn.addEnvironment(SETTINGS.baseUrl.envVar, this.baseUrl);
      // A dynamic reference, so the template never holds the value. It may sit in the environment: it is
      // no user credential and opens no data, it only proves a request came through CloudFront, and
      // rotating it is a redeploy.
      if (this.edge !== undefined) fn.addEnvironment(ORIGIN_VERIFY_SECRET_ENV, this.edge.originSecretReference);
    }

    const route = (path: string, methods: HttpMethod[], fn: LoginFlowFunction): HttpRoute[] =>
      this.httpApi.addRoutes({ path, methods, integration: new HttpLambdaIntegration(`${fn.node.id}-${path}-integration`, fn) });
    const publicRoutes = [
      ...route('/login', [HttpMethod.GET], login),
      ...route('/callback', [HttpMethod.GET], callback),
      ...route('/me', [HttpMethod.GET], session),
      ...route('/signed-in', [HttpMethod.GET], session),
      ...route('/logout', [HttpMethod.GET, HttpMethod.POST], logout),
      ...route('/signed-out', [HttpMethod.GET], logout),
      ...(backchannelLogout === undefined ? [] : route('/backchannel-logout', [HttpMethod.POST], backchannelLogout)),
      // API Gateway's own 404 carries none of the security headers; on an API of its own, the sign-in
      // answers every other path itself. On yours, the default route stays yours.
      ...(this.madeApi === undefined ? [] : [new HttpRoute(this, 'not-found-route', { httpApi: this.httpApi, routeKey: HttpRouteKey.DEFAULT, integration: new HttpLambdaIntegration('not-found-integration', session) })]),
    ];
    for (const publicRoute of publicRoutes) {
      // Acknowledged route by route, so the routes of the app around it are still checked.
      Validations.of(publicRoute).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'A sign-in route is where a browser without a session starts, finishes, checks or ends signing in (or the provider posts a logout token); each checks what it is given itself.',
      });
    }

    this.authorizer = new HttpLambdaAuthorizer('session-authorizer', authorizer, {
      authorizerName: 'session',
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      // The cache key, when caching is on: the whole Cookie header, so one session's answer is never another's.
      // Behind the edge its header too: else a cached answer would let a request around the edge through unchecked.
      identitySource: ['$request.header.Cookie', ...(this.edge === undefined ? [] : [`$request.header.${ORIGIN_VERIFY_HEADER}`])],
      resultsCacheTtl: Duration.seconds(cacheSeconds),
    });
    this.pageAuthorizer = new HttpLambdaAuthorizer('page-session-authorizer', pageAuthorizer, {
      authorizerName: 'page-session',
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      // Always present, so a browser without cookies still reaches the page (to be sent to sign in);
      // unique per request, so even a cache turned on by mistake could never serve one user's answer to another.
      identitySource: ['$context.requestId'],
      resultsCacheTtl: Duration.seconds(0),
    });

    this.monitoring = new LoginFlowMonitoring(this, 'monitoring', {
      functions: all,
      rejectedCallbacksThreshold: props.rejectedCallbacksAlarmThreshold ?? DEFAULT_REJECTED_CALLBACKS_ALARM_THRESHOLD,
      ...(props.alarmAction === undefined ? {} : { alarmAction: props.alarmAction }),
    });

    new CfnOutput(this, 'LoginUrl', { value: `${this.baseUrl}/login`, description: 'Open this in a browser to sign in' });
    new CfnOutput(this, 'CallbackUrl', { value: `${this.baseUrl}/callback`, description: "Add to the Auth0 application's Allowed Callback URLs" });
    new CfnOutput(this, 'SignedOutUrl', { value: `${this.baseUrl}/signed-out`, description: "Add to the Auth0 application's Allowed Logout URLs" });
    if (backchannelLogout !== undefined) {
      new CfnOutput(this, 'BackchannelLogoutUrl', {
        value: `${this.baseUrl}/backchannel-logout`,
        description: "Set as the Auth0 application's OIDC Back-Channel Logout URI",
      });
    }
    new CfnOutput(this, 'TableName', { value: this.transactions.table.tableName, description: 'Where each login attempt and its outcome are recorded' });
    new CfnOutput(this, 'SessionTableName', { value: this.sessions.table.tableName, description: 'One item per signed-in browser' });
    if (this.clientSecret !== undefined) {
      new CfnOutput(this, 'ClientSecretArn', { value: this.clientSecret.secretArn, description: 'Holds the Auth0 client secret the callback redeems codes with' });
    }
  }

  /**
   * An existing secret, or one made here to fill in after deploy. A made one starts with a random
   * value, so until the real client secret is put in it the provider refuses every redemption.
   */
  private secretFor(props: OidcLoginProps, removalPolicy: RemovalPolicy): ISecret | undefined {
    if (props.clientSecret !== undefined) return props.clientSecret;
    if (this.settings.clientSecretArn !== undefined) return Secret.fromSecretCompleteArn(this, 'client-secret', this.settings.clientSecretArn);
    if (props.createClientSecret !== true) return undefined;
    const secret = new Secret(this, 'client-secret', {
      description: 'The Auth0 application client secret: replace the generated value with it',
      removalPolicy,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'An OAuth client secret is rotated at the identity provider, which Secrets Manager rotation cannot do.',
    });
    return secret;
  }
}
