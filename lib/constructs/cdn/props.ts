import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { IConstruct } from 'constructs';
import { PropError } from '../validation';
import type { OriginVerifyHeader } from '../api-service/props';

/** CloudFront price classes, by the name CloudFormation gives them. */
export const PRICE_CLASSES = ['PriceClass_100', 'PriceClass_200', 'PriceClass_All'] as const;
export type PriceClassName = (typeof PRICE_CLASSES)[number];

/** Where the static site's failover copy lives; both values are derived from names, not referenced. */
export interface StaticReplicaLocation {
  /** The replica's name, from `staticReplicaBucketName()`. */
  readonly bucketName: string;
  /** Its region: any region but the Edge stack's own. */
  readonly region: string;
}

export interface CdnProps {
  /** Apex domain; the distribution answers it and `www.<domainName>`. */
  readonly domainName: string;
  /** Certificate in us-east-1 covering the apex and `www` (the Edge stack's certificate). */
  readonly certificate: acm.ICertificate;
  /** Latency-routed name of the regional ALBs, e.g. `origin.example.com`; reached over HTTPS only. */
  readonly originDomainName: string;
  /** The secret header added to every request to the ALBs (decision 5). */
  readonly originVerify: OriginVerifyHeader;
  /** The static site: `index.html` at the top and everything else under `static/`. */
  readonly siteAssetPath: string;
  /**
   * WAF web ACL (CLOUDFRONT scope, us-east-1) created by another construct, attached by ARN.
   * Without one cdk-nag's AwsSolutions-CFR2 fails synth, on purpose.
   * @default no web ACL
   */
  readonly webAclArn?: string;
  /**
   * Edge locations that serve viewers. `PriceClass_100` (North America, Europe, Israel) costs
   * least; `PriceClass_200` adds most of Asia; `PriceClass_All` adds South America and Oceania.
   * @default 'PriceClass_All'
   */
  readonly priceClass?: PriceClassName;
  /**
   * Failover copy of the site bucket: replicated into, and read when the primary bucket fails.
   * @default no replica, no origin group
   */
  readonly staticReplica?: StaticReplicaLocation;
  /**
   * Edge TTL of a cacheable API read (`GET /api/items/*`) whose response has no `Cache-Control`
   * max-age. Longer serves staler items; a write is seen within it.
   * @default Duration.seconds(5)
   */
  readonly apiCacheDefaultTtl?: Duration;
  /**
   * Floor on the edge TTL of an item read; above 0 it overrides the service's `no-store`.
   * @default Duration.seconds(0)
   */
  readonly apiCacheMinTtl?: Duration;
  /**
   * Ceiling on the edge TTL of an item read, whatever max-age the service sends.
   * @default Duration.seconds(60)
   */
  readonly apiCacheMaxTtl?: Duration;
  /**
   * Query strings that change an item read's answer; only these are keyed and forwarded.
   * @default none (the item read takes no query string)
   */
  readonly apiCacheQueryStrings?: readonly string[];
  /**
   * How long CloudFront waits for the ALB's response, 1 to 60 seconds (more needs a quota raise).
   * @default Duration.seconds(30)
   */
  readonly originReadTimeout?: Duration;
  /**
   * How long CloudFront keeps an idle connection to the ALB, 1 to 60 seconds; below the ALB idle
   * timeout (60 s), so CloudFront, not the ALB, closes idle connections.
   * @default Duration.seconds(30)
   */
  readonly originKeepaliveTimeout?: Duration;
  /**
   * Publish CloudFront's additional metrics (cache hit rate, origin latency, error rates by
   * code). They cost a monthly fee per distribution.
   * @default true
   */
  readonly publishAdditionalMetrics?: boolean;
  /**
   * How long access logs (CloudFront's and the site bucket's) are kept.
   * @default Duration.days(90)
   */
  readonly logExpiration?: Duration;
  /**
   * What happens to the site and log buckets when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The props with defaults resolved, validated. */
export interface CdnSettings {
  readonly priceClass: PriceClassName;
  readonly apiCacheDefaultTtl: Duration;
  readonly apiCacheMinTtl: Duration;
  readonly apiCacheMaxTtl: Duration;
  readonly apiCacheQueryStrings: readonly string[];
  readonly originReadTimeout: Duration;
  readonly originKeepaliveTimeout: Duration;
  readonly publishAdditionalMetrics: boolean;
  readonly logExpiration: Duration;
  readonly removalPolicy: RemovalPolicy;
}

const HOSTNAME = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.[a-z]{2,63}$/;
const ONE_YEAR_SECONDS = 365 * 86400;

/** Resolves defaults and throws a `PropError` naming the prop on the first bad value. */
export function resolveCdnSettings(scope: IConstruct, props: CdnProps, edgeRegion: string): CdnSettings {
  checkHostname(scope, 'domainName', props.domainName);
  checkHostname(scope, 'originDomainName', props.originDomainName);
  const settings: CdnSettings = {
    priceClass: props.priceClass ?? 'PriceClass_All',
    apiCacheDefaultTtl: props.apiCacheDefaultTtl ?? Duration.seconds(5),
    apiCacheMinTtl: props.apiCacheMinTtl ?? Duration.seconds(0),
    apiCacheMaxTtl: props.apiCacheMaxTtl ?? Duration.seconds(60),
    apiCacheQueryStrings: props.apiCacheQueryStrings ?? [],
    originReadTimeout: props.originReadTimeout ?? Duration.seconds(30),
    originKeepaliveTimeout: props.originKeepaliveTimeout ?? Duration.seconds(30),
    publishAdditionalMetrics: props.publishAdditionalMetrics ?? true,
    logExpiration: props.logExpiration ?? Duration.days(90),
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
  };

  if (!(PRICE_CLASSES as readonly string[]).includes(settings.priceClass)) {
    throw new PropError(scope, 'priceClass', settings.priceClass, PRICE_CLASSES.join(', '));
  }
  const ttlRange = `a whole number of seconds from 0 to ${ONE_YEAR_SECONDS}`;
  const min = seconds(scope, 'apiCacheMinTtl', settings.apiCacheMinTtl, 0, ONE_YEAR_SECONDS, ttlRange);
  const def = seconds(scope, 'apiCacheDefaultTtl', settings.apiCacheDefaultTtl, 0, ONE_YEAR_SECONDS, ttlRange);
  const max = seconds(scope, 'apiCacheMaxTtl', settings.apiCacheMaxTtl, 0, ONE_YEAR_SECONDS, ttlRange);
  if (min !== undefined && def !== undefined && def < min) {
    throw new PropError(
      scope,
      'apiCacheDefaultTtl',
      settings.apiCacheDefaultTtl.toHumanString(),
      `at least apiCacheMinTtl (${settings.apiCacheMinTtl.toHumanString()})`,
      'is below the minimum TTL',
    );
  }
  if (def !== undefined && max !== undefined && max < def) {
    throw new PropError(
      scope,
      'apiCacheMaxTtl',
      settings.apiCacheMaxTtl.toHumanString(),
      `at least apiCacheDefaultTtl (${settings.apiCacheDefaultTtl.toHumanString()})`,
      'is below the default TTL',
    );
  }
  for (const name of settings.apiCacheQueryStrings) {
    if (!/^[A-Za-z0-9_.~-]{1,128}$/.test(name)) {
      throw new PropError(scope, 'apiCacheQueryStrings', name, 'query-string names of URL-safe characters');
    }
  }
  const timeoutRange = 'a whole number of seconds from 1 to 60';
  seconds(scope, 'originReadTimeout', settings.originReadTimeout, 1, 60, timeoutRange);
  seconds(scope, 'originKeepaliveTimeout', settings.originKeepaliveTimeout, 1, 60, timeoutRange);

  const replica = props.staticReplica;
  if (replica) {
    if (!Token.isUnresolved(replica.region) && !Token.isUnresolved(edgeRegion) && replica.region === edgeRegion) {
      throw new PropError(
        scope,
        'staticReplica.region',
        replica.region,
        `a region other than ${edgeRegion}`,
        'is the region of the primary site bucket',
      );
    }
    if (!Token.isUnresolved(replica.bucketName) && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(replica.bucketName)) {
      throw new PropError(scope, 'staticReplica.bucketName', replica.bucketName, 'an S3 bucket name');
    }
  }
  return settings;
}

function checkHostname(scope: IConstruct, key: string, value: string | undefined): void {
  if (value !== undefined && Token.isUnresolved(value)) return;
  if (!value || !HOSTNAME.test(value)) {
    throw new PropError(scope, key, value, 'a lower-case DNS name such as example.com');
  }
}

/** Throws unless `duration` is a whole number of seconds in [min, max]; returns the seconds when known. */
function seconds(
  scope: IConstruct,
  key: string,
  duration: Duration,
  min: number,
  max: number,
  allowed: string,
): number | undefined {
  const value = duration.toSeconds({ integral: false });
  if (Token.isUnresolved(value)) return undefined;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PropError(scope, key, duration.toHumanString(), allowed, 'is out of range');
  }
  return value;
}
