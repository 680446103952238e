import { RemovalPolicy } from 'aws-cdk-lib';
import type { Node } from 'constructs';
import {
  ConfigError,
  SETTINGS,
  contextLabel,
  parseBaseUrl,
  parseFlowSettings,
  type FlowSettings,
  type RawSettings,
  type SettingName,
} from '../lambdas/core/config.js';
import { discoveryContextKey, parseCachedDiscovery, withDiscoveredSettings } from '../lambdas/core/discovery.js';
import { DEFAULT_THROTTLE } from './oidc-login.js';
import { MIN_REQUESTS_PER_FIVE_MINUTES } from './rate-limited-edge.js';

/** Everything the stack reads from CDK context, validated at synth time. */
export interface LoginFlowStackOptions {
  readonly settings: FlowSettings;
  /** The same settings as given, for the construct (which validates them again, under its own names). */
  readonly rawSettings: RawSettings;
  /** A custom domain's URL; undefined means the HTTP API's own URL. */
  readonly baseUrl: string | undefined;
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  readonly retainData: boolean;
  readonly rejectedCallbacksAlarmThreshold: number;
  readonly alarmTopicArn: string | undefined;
  /** Make an empty Secrets Manager secret for the client secret (when `clientSecretArn` is not given). */
  readonly createClientSecret: boolean;
  /** How far back point-in-time recovery reaches, 1-35 days. */
  readonly pointInTimeRecoveryDays: number;
  /** WAF's limit per client IP and path behind CloudFront. @default undefined: no CloudFront and no WAF */
  readonly rateLimitPerFiveMinutes?: number | undefined;
}

export const STACK_CONTEXT = {
  // The construct's default, and its reason: a global cap on cost, not a per-client limit.
  throttleRateLimit: { key: 'throttleRateLimit', fallback: DEFAULT_THROTTLE.rateLimit },
  throttleBurstLimit: { key: 'throttleBurstLimit', fallback: DEFAULT_THROTTLE.burstLimit },
  rejectedCallbacksAlarmThreshold: { key: 'rejectedCallbacksAlarmThreshold', fallback: 25 },
  pointInTimeRecoveryDays: { key: 'pointInTimeRecoveryDays', fallback: 35 },
  /** Off unless given: CloudFront and WAF cost money and need us-east-1. */
  rateLimitPerFiveMinutes: { key: 'rateLimitPerFiveMinutes', fallback: undefined },
} as const;

function contextString(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ConfigError(`context "${key}" must be a string, number or boolean`);
}

function contextPositiveInteger<Fallback extends number | undefined>(node: Node, option: { key: string; fallback: Fallback }): number | Fallback {
  const value = contextString(node, option.key);
  if (value === undefined) return option.fallback;
  if (!/^[1-9]\d{0,6}$/.test(value)) throw new ConfigError(`context "${option.key}" must be a positive whole number, got "${value}"`);
  return Number(value);
}

export function readStackOptions(node: Node): LoginFlowStackOptions {
  let raw: RawSettings = {};
  for (const [name, spec] of Object.entries(SETTINGS) as [SettingName, (typeof SETTINGS)[SettingName]][]) {
    const value = contextString(node, spec.contextKey);
    if (value !== undefined) raw[name] = value;
  }
  if (raw.issuerUrl !== undefined) {
    // Cached by `npm run discover`: synth reads the provider's settings, it never fetches them.
    const key = discoveryContextKey(raw.issuerUrl);
    const cached: unknown = node.tryGetContext(key);
    if (cached !== undefined) raw = withDiscoveredSettings(raw, parseCachedDiscovery(cached, key));
  }
  const retainData = contextBoolean(node, 'retainData', true);
  const createClientSecret = contextBoolean(node, 'createClientSecret', false);
  if (createClientSecret && raw.clientSecretArn !== undefined) {
    throw new ConfigError('context "createClientSecret" and "clientSecretArn" exclude each other: use the existing secret or make one');
  }
  // Both at once, so one synth names every bad setting, the base URL included.
  const problems: string[] = [];
  const attempt = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error.message);
      return undefined;
    }
  };
  const parsedSettings = attempt(() => parseFlowSettings(raw, contextLabel));
  const baseUrl = raw.baseUrl === undefined ? undefined : attempt(() => parseBaseUrl(raw.baseUrl, contextLabel(SETTINGS.baseUrl)));
  if (parsedSettings === undefined || problems.length > 0) throw new ConfigError(problems.join('; '));
  const settings = parsedSettings;
  // Found here rather than at every cold start of a deployed callback.
  if ((createClientSecret || settings.clientSecretArn !== undefined) && !settings.scope.split(' ').includes('openid')) {
    throw new ConfigError('context "scope" must include openid when a client secret is configured: signing in needs an ID token');
  }
  const rateLimitPerFiveMinutes = contextPositiveInteger(node, STACK_CONTEXT.rateLimitPerFiveMinutes);
  if (rateLimitPerFiveMinutes !== undefined && rateLimitPerFiveMinutes < MIN_REQUESTS_PER_FIVE_MINUTES) {
    throw new ConfigError(`context "rateLimitPerFiveMinutes" must be at least ${MIN_REQUESTS_PER_FIVE_MINUTES} (the AWS WAF minimum), got ${rateLimitPerFiveMinutes}`);
  }
  const alarmTopicArn = contextString(node, 'alarmTopicArn');
  if (alarmTopicArn !== undefined && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(alarmTopicArn)) {
    throw new ConfigError(`context "alarmTopicArn" must be an SNS topic ARN, got "${alarmTopicArn}"`);
  }
  return {
    settings,
    rawSettings: raw,
    baseUrl,
    throttleRateLimit: contextPositiveInteger(node, STACK_CONTEXT.throttleRateLimit),
    throttleBurstLimit: contextPositiveInteger(node, STACK_CONTEXT.throttleBurstLimit),
    retainData,
    rejectedCallbacksAlarmThreshold: contextPositiveInteger(node, STACK_CONTEXT.rejectedCallbacksAlarmThreshold),
    alarmTopicArn,
    createClientSecret,
    pointInTimeRecoveryDays: contextPitrDays(node),
    rateLimitPerFiveMinutes,
  };
}

function contextBoolean(node: Node, key: string, fallback: boolean): boolean {
  const value = contextString(node, key);
  if (value === undefined) return fallback;
  if (value !== 'true' && value !== 'false') throw new ConfigError(`context "${key}" must be true or false, got "${value}"`);
  return value === 'true';
}

export function removalPolicyFor(options: LoginFlowStackOptions): RemovalPolicy {
  return options.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}

/** DynamoDB's own range, checked here so the error names the context key rather than the construct's prop. */
function contextPitrDays(node: Node): number {
  const days = contextPositiveInteger(node, STACK_CONTEXT.pointInTimeRecoveryDays);
  if (days > 35) throw new ConfigError(`context "pointInTimeRecoveryDays" must be from 1 to 35, got ${days}`);
  return days;
}
