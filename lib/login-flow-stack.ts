import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { SETTINGS, settingsToEnv } from '../lambdas/core/config.js';
import { TABLE_NAME_ENV } from '../lambdas/core/contract.js';
import { LoginApi } from './login-api.js';
import { LoginFlowFunction } from './login-flow-function.js';
import { LoginFlowMonitoring } from './monitoring.js';
import { removalPolicyFor, type LoginFlowStackOptions } from './stack-options.js';
import { TransactionsTable } from './transactions-table.js';

export interface LoginFlowStackProps extends StackProps {
  readonly options: LoginFlowStackOptions;
}

export class LoginFlowStack extends Stack {
  public readonly table: TransactionsTable;
  public readonly loginFunction: LoginFlowFunction;
  public readonly callbackFunction: LoginFlowFunction;
  public readonly api: LoginApi;

  constructor(scope: Construct, id: string, props: LoginFlowStackProps) {
    super(scope, id, props);
    const { options } = props;
    const removalPolicy = removalPolicyFor(options);

    this.table = new TransactionsTable(this, 'transactions', { removalPolicy });
    const sharedEnvironment = { ...settingsToEnv(options.settings), [TABLE_NAME_ENV]: this.table.table.tableName };
    this.loginFunction = new LoginFlowFunction(this, 'login', { name: 'login', environment: sharedEnvironment, logRemovalPolicy: removalPolicy });
    this.callbackFunction = new LoginFlowFunction(this, 'callback', { name: 'callback', environment: sharedEnvironment, logRemovalPolicy: removalPolicy });
    this.table.grantCreate(this.loginFunction);
    this.table.grantConsume(this.callbackFunction);

    this.api = new LoginApi(this, 'api', {
      loginFunction: this.loginFunction,
      callbackFunction: this.callbackFunction,
      throttleRateLimit: options.throttleRateLimit,
      throttleBurstLimit: options.throttleBurstLimit,
      logRemovalPolicy: removalPolicy,
    });
    // The base URL is known only after deploy unless a custom domain is configured.
    const baseUrl = options.baseUrl ?? this.api.url;
    for (const fn of [this.loginFunction, this.callbackFunction]) fn.addEnvironment(SETTINGS.baseUrl.envVar, baseUrl);

    new LoginFlowMonitoring(this, 'monitoring', {
      functions: [this.loginFunction, this.callbackFunction],
      rejectedCallbacksThreshold: options.rejectedCallbacksAlarmThreshold,
      ...(options.alarmTopicArn === undefined
        ? {}
        : { alarmAction: new SnsAction(Topic.fromTopicArn(this, 'alarm-topic', options.alarmTopicArn)) }),
    });

    new CfnOutput(this, 'LoginUrl', { value: `${baseUrl}/login`, description: 'Open this in a browser to sign in' });
    new CfnOutput(this, 'CallbackUrl', { value: `${baseUrl}/callback`, description: "Add to the Auth0 application's Allowed Callback URLs" });
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName, description: 'Where each login attempt and its outcome are recorded' });

    Validations.of(this.api.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: 'The login and callback routes must be public: they are how an unauthenticated user starts and finishes signing in.',
    });
  }
}
