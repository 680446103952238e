import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ParamsAndSecretsLayerVersion, ParamsAndSecretsLogLevel, ParamsAndSecretsVersions } from 'aws-cdk-lib/aws-lambda';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { SETTINGS, settingsToEnv } from '../lambdas/core/config.js';
import { CALLBACK_TIMEOUT_SECONDS, SESSION_TABLE_NAME_ENV, TABLE_NAME_ENV } from '../lambdas/core/contract.js';
import { LoginApi } from './login-api.js';
import { LoginFlowFunction } from './login-flow-function.js';
import { LoginFlowMonitoring } from './monitoring.js';
import { SessionsTable } from './sessions-table.js';
import { removalPolicyFor, type LoginFlowStackOptions } from './stack-options.js';
import { TransactionsTable } from './transactions-table.js';

export interface LoginFlowStackProps extends StackProps {
  readonly options: LoginFlowStackOptions;
}

export class LoginFlowStack extends Stack {
  public readonly table: TransactionsTable;
  public readonly sessions: SessionsTable;
  public readonly loginFunction: LoginFlowFunction;
  public readonly callbackFunction: LoginFlowFunction;
  public readonly sessionFunction: LoginFlowFunction;
  public readonly logoutFunction: LoginFlowFunction;
  public readonly api: LoginApi;
  /** The client secret the callback redeems codes with; undefined when the flow stops at the recorded code. */
  public readonly clientSecret: ISecret | undefined;

  constructor(scope: Construct, id: string, props: LoginFlowStackProps) {
    super(scope, id, props);
    const { options } = props;
    const removalPolicy = removalPolicyFor(options);

    this.table = new TransactionsTable(this, 'transactions', { removalPolicy });
    this.sessions = new SessionsTable(this, 'sessions', { removalPolicy });
    this.clientSecret = this.clientSecretFor(options);
    // Only the callback reads the secret, so only the callback is told where it is (added below).
    const settings = settingsToEnv({ ...options.settings, clientSecretArn: undefined });
    const transactionsTable = { [TABLE_NAME_ENV]: this.table.table.tableName };
    const sessionsTable = { [SESSION_TABLE_NAME_ENV]: this.sessions.table.tableName };
    const common = { logRemovalPolicy: removalPolicy };
    this.loginFunction = new LoginFlowFunction(this, 'login', { ...common, name: 'login', environment: { ...settings, ...transactionsTable } });
    this.callbackFunction = new LoginFlowFunction(this, 'callback', {
      ...common,
      name: 'callback',
      environment: {
        ...settings,
        ...transactionsTable,
        ...sessionsTable,
        // The ARN only: the secret itself is read at init, through the extension, and never sits in the environment.
        ...(this.clientSecret === undefined ? {} : { [SETTINGS.clientSecretArn.envVar]: this.clientSecret.secretArn }),
      },
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
    });
    this.sessionFunction = new LoginFlowFunction(this, 'session', { ...common, name: 'session', environment: { ...settings, ...sessionsTable } });
    this.logoutFunction = new LoginFlowFunction(this, 'logout', { ...common, name: 'logout', environment: { ...settings, ...sessionsTable } });
    this.table.grantCreate(this.loginFunction);
    this.table.grantConsume(this.callbackFunction);
    // GetSecretValue alone: grantRead would add DescribeSecret, which reading the value never needs.
    if (this.clientSecret !== undefined) {
      this.callbackFunction.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.clientSecret.secretArn] }));
    }
    if (this.clientSecret !== undefined) this.sessions.grantCreate(this.callbackFunction);
    this.sessions.grantReadAndTouch(this.sessionFunction);
    this.sessions.grantEnd(this.logoutFunction);
    const functions = [this.loginFunction, this.callbackFunction, this.sessionFunction, this.logoutFunction];

    this.api = new LoginApi(this, 'api', {
      loginFunction: this.loginFunction,
      callbackFunction: this.callbackFunction,
      sessionFunction: this.sessionFunction,
      logoutFunction: this.logoutFunction,
      throttleRateLimit: options.throttleRateLimit,
      throttleBurstLimit: options.throttleBurstLimit,
      logRemovalPolicy: removalPolicy,
    });
    // The base URL is known only after deploy unless a custom domain is configured.
    const baseUrl = options.baseUrl ?? this.api.url;
    for (const fn of functions) fn.addEnvironment(SETTINGS.baseUrl.envVar, baseUrl);

    new LoginFlowMonitoring(this, 'monitoring', {
      functions,
      rejectedCallbacksThreshold: options.rejectedCallbacksAlarmThreshold,
      ...(options.alarmTopicArn === undefined
        ? {}
        : { alarmAction: new SnsAction(Topic.fromTopicArn(this, 'alarm-topic', options.alarmTopicArn)) }),
    });

    new CfnOutput(this, 'LoginUrl', { value: `${baseUrl}/login`, description: 'Open this in a browser to sign in' });
    new CfnOutput(this, 'CallbackUrl', { value: `${baseUrl}/callback`, description: "Add to the Auth0 application's Allowed Callback URLs" });
    new CfnOutput(this, 'SignedOutUrl', { value: `${baseUrl}/signed-out`, description: "Add to the Auth0 application's Allowed Logout URLs" });
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName, description: 'Where each login attempt and its outcome are recorded' });
    new CfnOutput(this, 'SessionTableName', { value: this.sessions.table.tableName, description: 'One item per signed-in browser' });
    if (this.clientSecret !== undefined) {
      new CfnOutput(this, 'ClientSecretArn', { value: this.clientSecret.secretArn, description: 'Holds the Auth0 client secret the callback redeems codes with' });
    }

    Validations.of(this.api.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'The sign-in routes must be public: /login, /callback, /signed-in, /me, /logout and /signed-out are where a browser without a session starts, finishes, checks and ends signing in; each checks the session itself.',
    });
  }

  /**
   * An existing secret by ARN, or one made here to fill in after deploy. A made one starts with a
   * random value, so until the real client secret is put in it the provider refuses every redemption.
   */
  private clientSecretFor(options: LoginFlowStackOptions): ISecret | undefined {
    if (options.settings.clientSecretArn !== undefined) {
      return Secret.fromSecretCompleteArn(this, 'client-secret', options.settings.clientSecretArn);
    }
    if (!options.createClientSecret) return undefined;
    const secret = new Secret(this, 'client-secret', {
      description: 'The Auth0 application client secret: replace the generated value with it',
      removalPolicy: removalPolicyFor(options),
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'An OAuth client secret is rotated at the identity provider, which Secrets Manager rotation cannot do.',
    });
    return secret;
  }
}
