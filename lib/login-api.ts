import type { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface LoginApiProps {
  /** Steady-state requests per second for the whole stage. */
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  readonly logRemovalPolicy: RemovalPolicy;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/**
 * The public edge, when the sign-in brings its own: an HTTP API whose `$default` stage is throttled
 * and access-logged. The access
 * log records route, status and latency, never the query string (it carries codes and states).
 */
export class LoginApi extends Construct {
  public readonly api: HttpApi;
  public readonly stage: HttpStage;
  public readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: LoginApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, 'http-api', {
      description: 'OAuth 2.0 / OpenID Connect authorization-code login flow',
      createDefaultStage: false,
    });
    this.accessLogs = new LogGroup(this, 'access-logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy,
    });
    this.stage = new HttpStage(this, 'default-stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRateLimit, burstLimit: props.throttleBurstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTimeEpoch',
            ip: '$context.identity.sourceIp',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
  }

  /** `https://{api-id}.execute-api.{region}.amazonaws.com`, a deploy-time token. */
  get url(): string {
    return this.api.apiEndpoint;
  }
}
