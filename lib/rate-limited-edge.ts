import { Fn, Names, RemovalPolicy, SecretValue, Stack, Token, Validations } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ConfigError } from '../lambdas/core/config.js';
import { ORIGIN_VERIFY_HEADER } from '../lambdas/core/contract.js';

/** AWS WAF's bounds for a rate-based rule's limit. */
export const MIN_REQUESTS_PER_FIVE_MINUTES = 10;
export const MAX_REQUESTS_PER_FIVE_MINUTES = 2_000_000_000;
/**
 * The back-channel route's own rule allows this many times the per-client limit: its caller is the
 * provider, from a few addresses, ending every session of a user (or many users) at once.
 */
export const BACKCHANNEL_LIMIT_FACTOR = 10;
const BACKCHANNEL_LOGOUT_PATH = '/backchannel-logout';
/** Normalized and lower-cased, so `/Login` or `//login` is not a fresh allowance for the same route. */
const PATH_TRANSFORMATIONS = [
  { priority: 0, type: 'NORMALIZE_PATH' },
  { priority: 1, type: 'LOWERCASE' },
];
/** WAF keeps CLOUDFRONT-scoped web ACLs in this region only. */
const CLOUDFRONT_WEB_ACL_REGION = 'us-east-1';
const CLOUDFRONT_WEB_ACL_ARN = /^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/[\w-]{1,128}\/[\w-]{1,128}$/;

export interface RateLimitedEdgeProps {
  /** The API to put behind CloudFront; served from its `$default` stage, at the root. */
  readonly httpApi: IHttpApi;
  /** Requests one client IP may send to one path in five minutes before WAF answers 403; from 10 (WAF's minimum). */
  readonly requestsPerFiveMinutes: number;
  /**
   * An existing CLOUDFRONT-scoped web ACL to attach instead of making one (its rules are then yours,
   * and `requestsPerFiveMinutes` is not applied). Lets a stack outside us-east-1 have the edge.
   * @default a web ACL made here, with one rate-based rule
   */
  readonly webAclArn?: string;
  /** For the origin secret. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Checks the edge's settings, so a construct that makes one can refuse them before anything is made.
 * A made web ACL needs a stack in us-east-1; an environment-agnostic stack (its region a token) is
 * let through, and CloudFormation refuses it at deploy time if it lands elsewhere.
 */
export function validateRateLimitedEdge(scope: Construct, props: Pick<RateLimitedEdgeProps, 'requestsPerFiveMinutes' | 'webAclArn'>, label = 'RateLimitedEdge'): void {
  const limit = props.requestsPerFiveMinutes;
  if (!Number.isInteger(limit) || limit < MIN_REQUESTS_PER_FIVE_MINUTES || limit > MAX_REQUESTS_PER_FIVE_MINUTES) {
    throw new ConfigError(`${label} requestsPerFiveMinutes must be a whole number from ${MIN_REQUESTS_PER_FIVE_MINUTES} to ${MAX_REQUESTS_PER_FIVE_MINUTES}, got ${limit}`);
  }
  if (props.webAclArn !== undefined) {
    if (!Token.isUnresolved(props.webAclArn) && !CLOUDFRONT_WEB_ACL_ARN.test(props.webAclArn)) {
      throw new ConfigError(`${label} webAclArn must be the ARN of a CLOUDFRONT-scoped WAFv2 web ACL (arn:aws:wafv2:us-east-1:...:global/webacl/...), got "${props.webAclArn}"`);
    }
    return;
  }
  const region = Stack.of(scope).region;
  if (!Token.isUnresolved(region) && region !== CLOUDFRONT_WEB_ACL_REGION) {
    throw new ConfigError(
      `${label} makes a CLOUDFRONT-scoped web ACL, which AWS WAF creates only in ${CLOUDFRONT_WEB_ACL_REGION}: deploy the stack in ${CLOUDFRONT_WEB_ACL_REGION}, or pass webAclArn (a web ACL made there), not ${region}`,
    );
  }
}

/**
 * A per-client rate limit for an HTTP API, which cannot take AWS WAF itself: CloudFront in front,
 * caching nothing and forwarding everything but Host, with a WAF rate-based rule per client IP and
 * path. CloudFront adds a secret header to every request it forwards; the functions behind the API
 * refuse requests without it (`ORIGIN_VERIFY_SECRET`), so the API's own endpoint is no way around.
 * IPv4 only: a WAF rate key is a whole address, and one IPv6 /64 holds 2^64 of them.
 */
export class RateLimitedEdge extends Construct {
  public readonly distribution: Distribution;
  /** The web ACL made here; undefined when `webAclArn` was given. */
  public readonly webAcl: CfnWebACL | undefined;
  /** `https://<distribution domain>`, a deploy-time token. */
  public readonly url: string;
  /** Holds the value CloudFront sends in `x-origin-verify`. */
  public readonly originSecret: Secret;
  /**
   * The secret's value as a CloudFormation dynamic reference (`{{resolve:secretsmanager:...}}`),
   * never the value itself: the template holds only the reference.
   */
  public readonly originSecretReference: string;

  constructor(scope: Construct, id: string, props: RateLimitedEdgeProps) {
    super(scope, id);
    validateRateLimitedEdge(this, props);

    this.originSecret = new Secret(this, 'origin-secret', {
      description: `Sent by CloudFront in the ${ORIGIN_VERIFY_HEADER} header; proves a request came through the rate-limited edge`,
      // Letters and digits only: the value travels in an HTTP header and an environment variable unescaped.
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    Validations.of(this.originSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'CloudFront and the functions get the value through a dynamic reference resolved at deploy time, so a rotation would reach neither until the next deploy: rotating it is a redeploy after updating the value.',
    });
    this.originSecretReference = SecretValue.secretsManager(this.originSecret.secretArn).unsafeUnwrap();

    this.webAcl = props.webAclArn === undefined ? this.makeWebAcl(props.requestsPerFiveMinutes) : undefined;

    // `https://{id}.execute-api.{region}.amazonaws.com` -> its host, as CloudFront wants the origin.
    const apiDomain = Fn.select(2, Fn.split('/', props.httpApi.apiEndpoint));
    this.distribution = new Distribution(this, 'distribution', {
      comment: 'Per-client rate limit in front of the sign-in API',
      // WAF cannot aggregate IPv6 clients by prefix; over IPv4 a fresh rate key costs a fresh address.
      // IPv6-only networks reach IPv4 hosts through their NAT64.
      enableIpv6: false,
      defaultBehavior: {
        origin: new HttpOrigin(apiDomain, {
          protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [OriginSslPolicy.TLS_V1_2],
          // CloudFront replaces a viewer's header of the same name, so a client cannot set it itself.
          customHeaders: { [ORIGIN_VERIFY_HEADER]: this.originSecretReference },
        }),
        allowedMethods: AllowedMethods.ALLOW_ALL,
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        // Every answer of the sign-in is per browser (cookies, states): none may be served to another.
        cachePolicy: CachePolicy.CACHING_DISABLED,
        // Cookies, query strings and headers reach the API as sent; Host must be the API's own for API Gateway to route it.
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
      webAclId: props.webAclArn ?? this.webAcl?.attrArn,
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'A sign-in serves its users wherever they are; restricting countries is a policy for the deployer to add, not a default.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason:
          "CloudFront's standard logs always record the query string, which carries authorization codes and states that this project never logs; the API stage's access log records every request that passes, and WAF keeps metrics and sampled requests of those it blocks.",
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'On the default *.cloudfront.net certificate CloudFront sets the viewer TLS policy itself; a custom domain with its own certificate, which takes TLSv1.2_2021, is for the deployer to add.',
      },
    );
    this.url = `https://${this.distribution.distributionDomainName}`;
  }

  private makeWebAcl(limit: number): CfnWebACL {
    const metricName = Names.uniqueId(this);
    const backchannelLogout: CfnWebACL.StatementProperty = {
      byteMatchStatement: { fieldToMatch: { uriPath: {} }, positionalConstraint: 'EXACTLY', searchString: BACKCHANNEL_LOGOUT_PATH, textTransformations: PATH_TRANSFORMATIONS },
    };
    const rule = (name: string, metricSuffix: string, priority: number, rateBasedStatement: CfnWebACL.RateBasedStatementProperty): CfnWebACL.RuleProperty => ({
      name,
      priority,
      action: { block: {} },
      statement: { rateBasedStatement },
      visibilityConfig: { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: `${metricName}-${metricSuffix}` },
    });
    return new CfnWebACL(this, 'web-acl', {
      scope: 'CLOUDFRONT',
      description: 'Per-client rate limit for the sign-in',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName },
      rules: [
        rule('per-client-per-route-rate', 'rate', 0, {
          limit,
          evaluationWindowSec: 300,
          // Per IP and per path, so a client busy on one route (say /me) is not stopped from signing in.
          aggregateKeyType: 'CUSTOM_KEYS',
          customKeys: [{ ip: {} }, { uriPath: { textTransformations: PATH_TRANSFORMATIONS } }],
          // The provider's back-channel calls have their own allowance: a busy provider must not be refused ending sessions.
          scopeDownStatement: { notStatement: { statement: backchannelLogout } },
        }),
        rule('backchannel-logout-rate', 'backchannel-rate', 1, {
          limit: Math.min(limit * BACKCHANNEL_LIMIT_FACTOR, MAX_REQUESTS_PER_FIVE_MINUTES),
          evaluationWindowSec: 300,
          aggregateKeyType: 'IP',
          scopeDownStatement: backchannelLogout,
        }),
      ],
    });
  }
}
