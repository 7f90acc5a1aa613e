import { Duration } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { Construct } from 'constructs';
import { CdnSettings } from './props';

/**
 * What the site in web/ needs and nothing more: its own scripts, styles, images and API; no
 * inline code, no framing, no plugins. API responses carry it too, where it is inert.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  'upgrade-insecure-requests',
].join('; ');

/** Two years: the HSTS preload list asks for at least one. */
const HSTS_MAX_AGE = Duration.days(730);

export interface CdnPolicies {
  /** Cacheable item reads: keyed on the path (and allowed query strings) only. */
  readonly apiItemsCache: cloudfront.CachePolicy;
  /** What writes on the item paths need: the session cookie. */
  readonly apiItemsOrigin: cloudfront.OriginRequestPolicy;
  readonly securityHeaders: cloudfront.ResponseHeadersPolicy;
}

/** The distribution's custom policies; the other behaviours use CloudFront's managed ones. */
export function createPolicies(scope: Construct, settings: CdnSettings): CdnPolicies {
  const queryStrings = settings.apiCacheQueryStrings;
  const apiItemsCache = new cloudfront.CachePolicy(scope, 'ApiItemsCachePolicy', {
    comment: 'Item reads: short TTL, Cache-Control honoured, keyed on the path only',
    defaultTtl: settings.apiCacheDefaultTtl,
    minTtl: settings.apiCacheMinTtl,
    maxTtl: settings.apiCacheMaxTtl,
    // An item's answer depends on its id alone: no cookie, header or (unlisted) query string may
    // split the cache, or one user's request could never serve another's.
    cookieBehavior: cloudfront.CacheCookieBehavior.none(),
    headerBehavior: cloudfront.CacheHeaderBehavior.none(),
    queryStringBehavior:
      queryStrings.length > 0
        ? cloudfront.CacheQueryStringBehavior.allowList(...queryStrings)
        : cloudfront.CacheQueryStringBehavior.none(),
    // Compressed and plain copies are cached apart, keyed on the normalised Accept-Encoding.
    enableAcceptEncodingGzip: true,
    enableAcceptEncodingBrotli: true,
  });

  const apiItemsOrigin = new cloudfront.OriginRequestPolicy(scope, 'ApiItemsOriginRequestPolicy', {
    comment: 'Item paths: cookies reach the origin (PUT needs the session) without splitting the cache',
    // Forwarded but not keyed: the GET handler reads no cookie and must set none (decision 7).
    cookieBehavior: cloudfront.OriginRequestCookieBehavior.all(),
    headerBehavior: cloudfront.OriginRequestHeaderBehavior.allowList('Content-Type'),
    queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.none(),
  });

  const securityHeaders = new cloudfront.ResponseHeadersPolicy(scope, 'SecurityHeadersPolicy', {
    comment: 'HSTS with preload, CSP for the static site, no sniffing, no framing',
    securityHeadersBehavior: {
      strictTransportSecurity: {
        accessControlMaxAge: HSTS_MAX_AGE,
        includeSubdomains: true,
        preload: true,
        override: true,
      },
      contentSecurityPolicy: { contentSecurityPolicy: CONTENT_SECURITY_POLICY, override: true },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
      referrerPolicy: {
        referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
        override: true,
      },
      // `0` turns off the legacy XSS auditor (itself an XSS vector, OWASP); the CSP does the job.
      xssProtection: { protection: false, override: true },
    },
  });

  return { apiItemsCache, apiItemsOrigin, securityHeaders };
}
