import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { ConfigError } from '../../lambdas/core/config.js';
import { ORIGIN_VERIFY_HEADER, ORIGIN_VERIFY_SECRET_ENV } from '../../lambdas/core/contract.js';
import { OidcLogin } from '../../lib/oidc-login.js';
import { BACKCHANNEL_LIMIT_FACTOR, MIN_REQUESTS_PER_FIVE_MINUTES, RateLimitedEdge, type RateLimitedEdgeProps } from '../../lib/rate-limited-edge.js';
import { STACK_CONTEXT, readStackOptions } from '../../lib/stack-options.js';
import { REQUIRED_SETTINGS } from '../support/settings.js';
import {
  DEPLOYED_FUNCTIONS,
  LoginFlowApp,
  REQUIRED_CONTEXT,
  SKIP_BUNDLING,
  getAtt,
  ref,
  resourceOf,
  resourcesOfType,
  type CfnResource,
} from './login-flow-app.js';

/**
 * The opt-in per-client rate limit: CloudFront with a WAF rate-based rule in front of the HTTP API,
 * and the sign-in's functions told the secret CloudFront adds, so the API's own endpoint is no way around.
 */
const LIMIT = 300;
const WEB_ACL_ARN = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/shared-edge/a1b2c3d4-5678-90ab-cdef-111122223333';
/** AWS's managed policies, by their fixed ids. */
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

let limited: LoginFlowApp;
let template: Template;
let plain: LoginFlowApp;
let plainTemplate: Template;

beforeAll(() => {
  limited = new LoginFlowApp({ ...REQUIRED_CONTEXT, rateLimitPerFiveMinutes: String(LIMIT) }, { bundle: false });
  template = limited.synth();
  plain = new LoginFlowApp(REQUIRED_CONTEXT, { bundle: false });
  plainTemplate = plain.synth();
});

afterAll(() => {
  limited.remove();
  plain.remove();
});

const edgeOf = (app: LoginFlowApp): RateLimitedEdge => {
  const { edge } = app.stack.signIn;
  if (edge === undefined) throw new Error('the sign-in has no edge');
  return edge;
};
const only = (t: Template, type: string): CfnResource => {
  const found = Object.values(resourcesOfType(t, type));
  if (found.length !== 1) throw new Error(`${found.length} ${type}`);
  return found[0] as CfnResource;
};
interface DistributionConfig {
  Origins: { DomainName: unknown; CustomOriginConfig: Record<string, unknown>; OriginCustomHeaders: { HeaderName: string; HeaderValue: unknown }[] }[];
  DefaultCacheBehavior: Record<string, unknown>;
  WebACLId: unknown;
  Logging?: unknown;
  IPV6Enabled?: boolean;
}
const distributionConfig = (t: Template): DistributionConfig => only(t, 'AWS::CloudFront::Distribution').Properties.DistributionConfig as DistributionConfig;
/** What `SecretValue.secretsManager(arn).unsafeUnwrap()` renders: a reference CloudFormation resolves at deploy time. */
const dynamicReference = (secretId: string): unknown => ({ 'Fn::Join': ['', ['{{resolve:secretsmanager:', ref(secretId), ':SecretString:::}}']] });

describe('the distribution', () => {
  test("has one origin: the HTTP API's endpoint host, HTTPS only, TLS 1.2", () => {
    const [origin, ...others] = distributionConfig(template).Origins;
    expect(others).toEqual([]);
    expect(origin?.DomainName).toEqual({ 'Fn::Select': [2, { 'Fn::Split': ['/', getAtt(limited.logicalId(limited.stack.signIn.httpApi), 'ApiEndpoint')] }] });
    expect(origin?.CustomOriginConfig).toEqual({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
  });

  test('serves IPv4 only: a WAF rate key is a whole address, and one IPv6 /64 would be 2^64 fresh keys', () => {
    expect(distributionConfig(template).IPV6Enabled).toBe(false);
  });

  test('allows every method, caches nothing, forwards every viewer header but Host (so cookies and query strings too), and redirects http to https', () => {
    expect(distributionConfig(template).DefaultCacheBehavior).toMatchObject({
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
      ViewerProtocolPolicy: 'redirect-to-https',
    });
  });

  test(`sends ${ORIGIN_VERIFY_HEADER} with the made secret as a dynamic reference, never a literal`, () => {
    const secretId = limited.logicalId(edgeOf(limited).originSecret);
    const headers = distributionConfig(template).Origins[0]?.OriginCustomHeaders;
    expect(headers).toEqual([{ HeaderName: ORIGIN_VERIFY_HEADER, HeaderValue: dynamicReference(secretId) }]);
    expect(resourceOf(template, secretId).Properties).toMatchObject({
      GenerateSecretString: { ExcludePunctuation: true, IncludeSpace: false, PasswordLength: expect.any(Number) },
    });
    expect((resourceOf(template, secretId).Properties.GenerateSecretString as { PasswordLength: number }).PasswordLength).toBeGreaterThanOrEqual(43);
    expect(resourceOf(template, secretId).Properties).not.toHaveProperty('SecretString');
  });

  test('is associated with the made web ACL by its ARN', () => {
    expect(distributionConfig(template).WebACLId).toEqual(getAtt(limited.stack.getLogicalId(edgeOf(limited).webAcl as CfnWebACL), 'Arn'));
  });

  test("becomes the sign-in's base URL: the functions and outputs point at it, not at the API's own endpoint", () => {
    const distributionUrl = { 'Fn::Join': ['', ['https://', getAtt(limited.logicalId(edgeOf(limited).distribution), 'DomainName'), '/login']] };
    expect(limited.outputs(template).LoginUrl?.Value).toEqual(distributionUrl);
    for (const fn of DEPLOYED_FUNCTIONS) {
      const env = (resourceOf(template, limited.logicalId(limited.function(fn))).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env.BASE_URL).toEqual({ 'Fn::Join': ['', ['https://', getAtt(limited.logicalId(edgeOf(limited).distribution), 'DomainName')]] });
    }
    expect(JSON.stringify(template.toJSON().Outputs)).not.toContain('ApiEndpoint');
  });
});

describe('the web ACL', () => {
  type Rule = { Name: string; Action: unknown; Statement: { RateBasedStatement: Record<string, unknown> }; VisibilityConfig: unknown };
  const rules = (): Rule[] => only(template, 'AWS::WAFv2::WebACL').Properties.Rules as Rule[];
  const BACKCHANNEL_LOGOUT = {
    ByteMatchStatement: {
      FieldToMatch: { UriPath: {} },
      PositionalConstraint: 'EXACTLY',
      SearchString: '/backchannel-logout',
      TextTransformations: [
        { Priority: 0, Type: 'NORMALIZE_PATH' },
        { Priority: 1, Type: 'LOWERCASE' },
      ],
    },
  };

  test('is CLOUDFRONT-scoped, allows by default, and blocks past the limit per client IP and URI path, with metrics and samples', () => {
    const acl = only(template, 'AWS::WAFv2::WebACL').Properties;
    expect(acl).toMatchObject({ Scope: 'CLOUDFRONT', DefaultAction: { Allow: {} } });
    expect(acl.VisibilityConfig).toMatchObject({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true });
    expect(rules().map((rule) => rule.Name)).toEqual(['per-client-per-route-rate', 'backchannel-logout-rate']);
    for (const rule of rules()) {
      expect(rule.Action).toEqual({ Block: {} });
      expect(rule.VisibilityConfig).toMatchObject({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true });
    }
    const [perClient] = rules();
    expect(perClient?.Statement.RateBasedStatement).toMatchObject({ Limit: LIMIT, EvaluationWindowSec: 300, AggregateKeyType: 'CUSTOM_KEYS' });
    const keys = perClient?.Statement.RateBasedStatement.CustomKeys as Record<string, unknown>[];
    expect(keys.map((key) => Object.keys(key))).toEqual([['IP'], ['UriPath']]);
  });

  test('the provider\'s back-channel logouts are counted by a rule of their own, with a larger allowance, and not by the per-client rule', () => {
    const [perClient, backchannel] = rules();
    expect(perClient?.Statement.RateBasedStatement.ScopeDownStatement).toEqual({ NotStatement: { Statement: BACKCHANNEL_LOGOUT } });
    expect(backchannel?.Statement.RateBasedStatement).toEqual({
      Limit: LIMIT * BACKCHANNEL_LIMIT_FACTOR,
      EvaluationWindowSec: 300,
      AggregateKeyType: 'IP',
      ScopeDownStatement: BACKCHANNEL_LOGOUT,
    });
  });
});

describe('the functions', () => {
  const secretEnv = (app: LoginFlowApp, t: Template) =>
    Object.fromEntries(
      DEPLOYED_FUNCTIONS.map((fn) => [fn, (resourceOf(t, app.logicalId(app.function(fn))).Properties.Environment as { Variables: Record<string, unknown> }).Variables[ORIGIN_VERIFY_SECRET_ENV]]),
    );

  test(`every sign-in function gets ${ORIGIN_VERIFY_SECRET_ENV} as the same dynamic reference; the demo (behind the authorizers) does not`, () => {
    const reference = dynamicReference(limited.logicalId(edgeOf(limited).originSecret));
    const env = secretEnv(limited, template);
    for (const fn of DEPLOYED_FUNCTIONS) expect(env[fn]).toEqual(fn === 'demo' ? undefined : reference);
  });

  test(`without rateLimit no function gets ${ORIGIN_VERIFY_SECRET_ENV}, and there is no CloudFront, WAF or origin secret`, () => {
    expect(Object.values(secretEnv(plain, plainTemplate))).toEqual(DEPLOYED_FUNCTIONS.map(() => undefined));
    expect(plain.stack.signIn.edge).toBeUndefined();
    for (const type of ['AWS::CloudFront::Distribution', 'AWS::WAFv2::WebACL', 'AWS::SecretsManager::Secret']) {
      expect(resourcesOfType(plainTemplate, type)).toEqual({});
    }
  });

  test("the session authorizer's cache key includes the header, so a cached answer never serves a request around the edge", () => {
    const identitySources = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Authorizer')).map((a) => a.Properties.IdentitySource);
    expect(identitySources).toEqual(expect.arrayContaining([['$request.header.Cookie', `$request.header.${ORIGIN_VERIFY_HEADER}`], ['$context.requestId']]));
  });
});

describe('cdk-nag with rate limiting on', () => {
  test('leaves no unacknowledged finding', () => {
    expect(limited.validationReport().pluginReports).toEqual([]);
  });

  test("the edge's acknowledgements each state a reason", () => {
    const edgePath = edgeOf(limited).node.path;
    const acknowledged = limited.acknowledgements().filter(({ path }) => path.startsWith(edgePath));
    expect(acknowledged.map(({ id }) => id.replace(/^.*::/, '')).sort()).toEqual(['AwsSolutions-CFR1', 'AwsSolutions-CFR3', 'AwsSolutions-CFR4', 'AwsSolutions-SMG4']);
    for (const { reason } of acknowledged) expect(reason.length).toBeGreaterThanOrEqual(40);
  });
});

describe('where the web ACL can be made', () => {
  const stackIn = (region: string | undefined): Stack => {
    const app = new App({ context: SKIP_BUNDLING });
    return new Stack(app, 'S', region === undefined ? {} : { env: { account: '123456789012', region } });
  };
  const signIn = (stack: Stack, rateLimit: { requestsPerFiveMinutes: number; webAclArn?: string }): OidcLogin =>
    new OidcLogin(stack, 'login', { settings: { issuerUrl: REQUIRED_SETTINGS.issuerUrl, clientId: REQUIRED_SETTINGS.clientId }, rateLimit });

  test('a stack in another concrete region is refused, naming both ways out, before anything is made', () => {
    const stack = stackIn('eu-west-1');
    expect(() => signIn(stack, { requestsPerFiveMinutes: LIMIT })).toThrow(ConfigError);
    expect(() => signIn(stackIn('eu-west-1'), { requestsPerFiveMinutes: LIMIT })).toThrow(/deploy the stack in us-east-1, or pass webAclArn/);
    expect(stack.node.tryFindChild('login')?.node.children ?? []).toEqual([]);
  });

  test('us-east-1 and an environment-agnostic stack (region a token) are accepted', () => {
    expect(() => signIn(stackIn('us-east-1'), { requestsPerFiveMinutes: LIMIT })).not.toThrow();
    expect(() => signIn(stackIn(undefined), { requestsPerFiveMinutes: LIMIT })).not.toThrow();
  });

  test('an existing web ACL is reused anywhere: none is made, and the distribution names the given ARN', () => {
    const stack = stackIn('eu-west-1');
    const login = signIn(stack, { requestsPerFiveMinutes: LIMIT, webAclArn: WEB_ACL_ARN });
    const t = Template.fromStack(stack);
    expect(login.edge?.webAcl).toBeUndefined();
    expect(resourcesOfType(t, 'AWS::WAFv2::WebACL')).toEqual({});
    expect(distributionConfig(t).WebACLId).toBe(WEB_ACL_ARN);
  });
});

describe('props, validated first', () => {
  const edgeIn = (props: Partial<RateLimitedEdgeProps>): RateLimitedEdge => {
    const stack = new Stack(new App({ context: SKIP_BUNDLING }), 'S');
    return new RateLimitedEdge(stack, 'edge', { httpApi: new HttpApi(stack, 'api'), requestsPerFiveMinutes: LIMIT, ...props });
  };

  test.each([0, MIN_REQUESTS_PER_FIVE_MINUTES - 1, 10.5, 2_000_000_001])('a limit of %p is refused (WAF takes whole numbers from 10)', (limit) => {
    expect(() => edgeIn({ requestsPerFiveMinutes: limit })).toThrow(`RateLimitedEdge requestsPerFiveMinutes must be a whole number from 10 to 2000000000, got ${limit}`);
  });

  test("WAF's minimum is accepted", () => {
    expect(() => edgeIn({ requestsPerFiveMinutes: MIN_REQUESTS_PER_FIVE_MINUTES })).not.toThrow();
  });

  test.each([
    ['a REGIONAL web ACL', 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/acl/a1b2c3d4-5678-90ab-cdef-111122223333'],
    ['something else', 'arn:aws:sns:us-east-1:123456789012:topic'],
  ])('a webAclArn of %s is refused', (_label, webAclArn) => {
    expect(() => edgeIn({ webAclArn })).toThrow(/webAclArn must be the ARN of a CLOUDFRONT-scoped WAFv2 web ACL/);
  });

  test('the construct names its own prop', () => {
    const stack = new Stack(new App({ context: SKIP_BUNDLING }), 'S');
    expect(() => new OidcLogin(stack, 'login', { settings: { ...REQUIRED_SETTINGS }, rateLimit: { requestsPerFiveMinutes: 5 } })).toThrow(
      'OidcLogin rateLimit requestsPerFiveMinutes must be a whole number from 10 to 2000000000, got 5',
    );
  });
});

describe('stack context', () => {
  const optionsFor = (context: Record<string, unknown>) => readStackOptions(new App({ context }).node);

  test('rateLimitPerFiveMinutes is off by default, and a positive whole number from -c or cdk.json', () => {
    expect(STACK_CONTEXT.rateLimitPerFiveMinutes.fallback).toBeUndefined();
    expect(optionsFor(REQUIRED_CONTEXT).rateLimitPerFiveMinutes).toBeUndefined();
    expect(optionsFor({ ...REQUIRED_CONTEXT, rateLimitPerFiveMinutes: '300' }).rateLimitPerFiveMinutes).toBe(300);
    expect(optionsFor({ ...REQUIRED_CONTEXT, rateLimitPerFiveMinutes: 50 }).rateLimitPerFiveMinutes).toBe(50);
  });

  test.each(['0', '-1', 'lots', '1.5'])('a rateLimitPerFiveMinutes of %p is refused', (value) => {
    expect(() => optionsFor({ ...REQUIRED_CONTEXT, rateLimitPerFiveMinutes: value })).toThrow(`context "rateLimitPerFiveMinutes" must be a positive whole number, got "${value}"`);
  });

  test("one under WAF's minimum is refused at synth time, naming the context key", () => {
    expect(() => optionsFor({ ...REQUIRED_CONTEXT, rateLimitPerFiveMinutes: '9' })).toThrow('context "rateLimitPerFiveMinutes" must be at least 10 (the AWS WAF minimum), got 9');
  });
});
