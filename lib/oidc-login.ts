import { CfnOutput, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { HttpApi, HttpMethod, HttpRoute, HttpRouteKey } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  ConfigError,
  SETTINGS,
  collectProblems,
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
import { grantAccessTokenUse, grantSecretValues, secretsExtension } from './access-token-grant.js';
import { ApiProxy } from './api-proxy.js';
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
   * Make the key ring that seals the session's tokens: a Secrets Manager secret generated as
   * `{"current":"1","1":"<64 random characters>"}` (rotate by adding a version, see the README's
   * "Token keys"). Or name your own with `settings.tokenKeySecretArn`. Without either, sessions keep
   * no tokens: no API proxy, no `grantAccessTokens`.
   * @default true when there is a client secret (without one no session is made) and no `settings.tokenKeySecretArn`
   */
  readonly createTokenKeys?: boolean;
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
/** Letters and digits, about 5.95 bits each: some 380 bits, well over the 256 of the key derived from it. */
const TOKEN_KEY_LENGTH = 64;

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
  /** The key ring sealing the session's tokens: `settings.tokenKeySecretArn`'s, or the one made (`createTokenKeys`). */
  public readonly tokenKeySecret: ISecret | undefined;
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
  /** The token-handler proxy (`/api/…`), once there is an API to forward to (`settings.apiUrl` or `proxyApi`). */
  public apiProxy: ApiProxy | undefined;
  private readonly removalPolicy: RemovalPolicy;
  /** The settings every function gets, with the ARNs of the secrets: for what reads the tokens. */
  private readonly secretsEnvironment: Record<string, string>;

  constructor(scope: Construct, id: string, props: OidcLoginProps) {
    super(scope, id);
    // Validated first, every prop at once: a mistake names the prop before anything is made.
    const { settings: parsedSettings, baseUrlProp, cacheSeconds, pointInTimeRecoveryDays } = collectProblems((problems) => {
      const settings = problems.check(() => parseFlowSettings(rawSettingsOf(props.settings), propLabel), undefined);
      const baseUrl = problems.check(() => (props.baseUrl === undefined ? undefined : parseBaseUrl(props.baseUrl, 'OidcLogin baseUrl')), undefined);
      const secretSources = [props.settings.clientSecretArn !== undefined, props.clientSecret !== undefined, props.createClientSecret === true];
      problems.check(() => {
        if (secretSources.filter(Boolean).length > 1) {
          throw new ConfigError('OidcLogin takes one client secret: settings.clientSecretArn, clientSecret or createClientSecret');
        }
      }, undefined);
      problems.check(() => {
        if (props.createTokenKeys !== true) return;
        if (props.settings.tokenKeySecretArn !== undefined) throw new ConfigError('OidcLogin takes one token key ring: settings.tokenKeySecretArn or createTokenKeys');
        if (!secretSources.some(Boolean)) throw new ConfigError('OidcLogin createTokenKeys needs a client secret: without one no session is made to keep tokens in');
      }, undefined);
      problems.check(() => {
        if (settings !== undefined && secretSources.some(Boolean) && !settings.scope.split(' ').includes('openid')) {
          throw new ConfigError(`${propLabel(SETTINGS.scope)} must include openid when a client secret is configured: signing in needs an ID token`);
        }
      }, undefined);
      const cache = problems.check(() => {
        const seconds = (props.authorizerCacheTtl ?? Duration.seconds(0)).toSeconds({ integral: false });
        if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_AUTHORIZER_CACHE_SECONDS) {
          throw new ConfigError(`OidcLogin authorizerCacheTtl must be whole seconds from 0 to ${MAX_AUTHORIZER_CACHE_SECONDS}`);
        }
        return seconds;
      }, 0);
      const recoveryDays = props.pointInTimeRecoveryDays ?? DEFAULT_PITR_DAYS;
      problems.check(() => {
        if (!Number.isInteger(recoveryDays) || recoveryDays < 1 || recoveryDays > 35) {
          throw new ConfigError(`OidcLogin pointInTimeRecoveryDays must be a whole number from 1 to 35, got ${recoveryDays}`);
        }
      }, undefined);
      const rateLimit = props.rateLimit;
      if (rateLimit !== undefined) problems.check(() => validateRateLimitedEdge(this, rateLimit, 'OidcLogin rateLimit'), undefined);
      return { settings, baseUrlProp: baseUrl, cacheSeconds: cache, pointInTimeRecoveryDays: recoveryDays };
    });
    // Defined whenever collectProblems returned: a settings problem would have thrown.
    this.settings = parsedSettings as FlowSettings;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.removalPolicy = removalPolicy;
    const backchannel = props.backchannelLogout ?? true;

    const tableProps = { removalPolicy, pointInTimeRecoveryDays };
    this.transactions = new TransactionsTable(this, 'transactions', tableProps);
    this.sessions = new SessionsTable(this, 'sessions', tableProps);
    this.logoutTokens = backchannel ? new LogoutTokensTable(this, 'logout-tokens', tableProps) : undefined;
    this.clientSecret = this.secretFor(props, removalPolicy);
    this.tokenKeySecret = this.tokenKeysFor(props, removalPolicy);

    // Only the functions that read a secret are told where it is (and may read it).
    const settings = settingsToEnv({ ...this.settings, clientSecretArn: undefined, tokenKeySecretArn: undefined });
    const secrets = [this.tokenKeySecret, this.clientSecret].filter((secret): secret is ISecret => secret !== undefined);
    // The ARNs only: the secrets themselves are read at init, through the extension, never from the environment.
    const secretsEnvironment = {
      ...(this.tokenKeySecret === undefined ? {} : { [SETTINGS.tokenKeySecretArn.envVar]: this.tokenKeySecret.secretArn }),
      ...(this.clientSecret === undefined ? {} : { [SETTINGS.clientSecretArn.envVar]: this.clientSecret.secretArn }),
    };
    const readingSecrets = secrets.length === 0 ? {} : { paramsAndSecrets: secretsExtension(secrets.length) };
    // The proxy is told its upstream itself (settings.apiUrl or proxyApi's); a function of yours calls whatever it calls.
    this.secretsEnvironment = { ...settingsToEnv({ ...this.settings, clientSecretArn: undefined, tokenKeySecretArn: undefined, apiUrl: undefined }), ...secretsEnvironment };
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
      { ...transactionsTable, ...sessionsTable, ...secretsEnvironment },
      { timeoutSeconds: CALLBACK_TIMEOUT_SECONDS, ...readingSecrets },
    );
    const session = make('session', sessionsTable);
    // The logout opens the session's tokens for the ID token hint and revokes the refresh token with client authentication.
    const logout = make('logout', { ...sessionsTable, ...secretsEnvironment }, readingSecrets);
    const authorizer = authorizerIn('require', 'authorizer');
    const pageAuthorizer = authorizerIn('optional', 'page-authorizer');
    const backchannelLogout =
      this.logoutTokens === undefined
        ? undefined
        : make('backchannelLogout', { ...sessionsTable, [LOGOUT_TOKEN_TABLE_NAME_ENV]: this.logoutTokens.table.tableName });

    this.transactions.grantCreate(login);
    this.transactions.grantConsume(callback);
    if (secrets.length > 0) {
      grantSecretValues(callback, secrets);
      grantSecretValues(logout, secrets);
    }
    if (this.clientSecret !== undefined) this.sessions.grantCreate(callback);
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

    if (this.settings.apiUrl !== undefined) this.proxyApi(this.settings.apiUrl);

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
    if (this.tokenKeySecret !== undefined && props.settings.tokenKeySecretArn === undefined) {
      new CfnOutput(this, 'TokenKeySecretArn', { value: this.tokenKeySecret.secretArn, description: 'The key ring sealing the sessions\' tokens: rotate by adding a key version' });
    }
    if (this.clientSecret !== undefined) {
      new CfnOutput(this, 'ClientSecretArn', { value: this.clientSecret.secretArn, description: 'Holds the Auth0 client secret the callback redeems codes with' });
    }
  }

  /**
   * Adds the token-handler proxy, `ANY /api/{proxy+}` forwarding to `apiUrl` with the session's
   * access token: for an API known only at deploy time (one on this stack), where `settings.apiUrl`
   * cannot name it. It needs the token key ring and, to refresh, a client secret.
   */
  proxyApi(apiUrl: string): ApiProxy {
    if (this.apiProxy !== undefined) throw new ConfigError('OidcLogin has its API proxy already');
    const secrets = this.tokenUseSecrets('the API proxy');
    this.apiProxy = new ApiProxy(this, 'api-proxy', {
      httpApi: this.httpApi,
      settingsEnvironment: {
        ...this.tokenUseEnvironment(),
        ...(this.edge === undefined ? {} : { [ORIGIN_VERIFY_SECRET_ENV]: this.edge.originSecretReference }),
      },
      apiUrl,
      sessions: this.sessions,
      secrets,
      logRemovalPolicy: this.removalPolicy,
    });
    return this.apiProxy;
  }

  /**
   * Lets your own function call the API as the signed-in user with `accessTokenFor(event)` from
   * `serverless-oidc-login/app`: the settings and the secrets' ARNs in its environment, the
   * session's token attributes (and no other), GetSecretValue on the token key ring and the client
   * secret, and the Parameters and Secrets extension that reads them once per execution environment.
   */
  grantAccessTokens(fn: LambdaFunction): void {
    grantAccessTokenUse(fn, { sessions: this.sessions, settingsEnvironment: this.tokenUseEnvironment(), secrets: this.tokenUseSecrets('grantAccessTokens') });
  }

  private tokenUseEnvironment(): Record<string, string> {
    return { ...this.secretsEnvironment, [SETTINGS.baseUrl.envVar]: this.baseUrl };
  }

  private tokenUseSecrets(what: string): ISecret[] {
    if (this.tokenKeySecret === undefined) {
      throw new ConfigError(
        `OidcLogin needs the token key ring for ${what}: set ${propLabel(SETTINGS.tokenKeySecretArn)}, or configure a client secret (the construct then makes the keys)`,
      );
    }
    return [this.tokenKeySecret, ...(this.clientSecret === undefined ? [] : [this.clientSecret])];
  }

  /** An existing key ring, or one generated here in the format lambdas/core/token/token-sealing.ts parses. */
  private tokenKeysFor(props: OidcLoginProps, removalPolicy: RemovalPolicy): ISecret | undefined {
    if (this.settings.tokenKeySecretArn !== undefined) return Secret.fromSecretCompleteArn(this, 'token-keys', this.settings.tokenKeySecretArn);
    if (!(props.createTokenKeys ?? this.clientSecret !== undefined)) return undefined;
    const secret = new Secret(this, 'token-keys', {
      description: "The key ring sealing the sessions' tokens: add a version and make it current to rotate",
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ current: '1' }),
        generateStringKey: '1',
        passwordLength: TOKEN_KEY_LENGTH,
        excludePunctuation: true,
      },
      removalPolicy,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The token keys rotate by adding a key version and making it current (README "Token keys"): sealed tokens name their version, so older keys must stay readable, which replacing the value by Secrets Manager rotation would not do.',
    });
    return secret;
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
