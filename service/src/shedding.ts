import type { IncomingMessage, ServerResponse } from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Metrics } from './metrics.js';

/** The event-loop delay histogram (IntervalHistogram in @types/node 20, ELDHistogram in 24). */
type IntervalHistogram = ReturnType<typeof monitorEventLoopDelay>;

export interface SheddingOptions {
  maxInFlight: number;
  /** 0 disables event-loop based shedding. */
  maxEventLoopDelayMs: number;
  sampleIntervalMs: number;
  retryAfterSeconds: number;
}

const RESOLUTION_MS = 10;
/** When the shedder admitted a response's request (performance.now()), for its latency. */
const ADMITTED_AT = Symbol('admittedAt');
/** The route pattern that served a response, set by tagRoute; unset for unmatched paths. */
const ROUTE = Symbol('route');
type Tracked = ServerResponse & { [ADMITTED_AT]?: number; [ROUTE]?: string };

/** Labels `res` with the route pattern that serves it, for the `Requests` metric. */
export function tagRoute(res: ServerResponse, route: string): void {
  (res as Tracked)[ROUTE] = route;
}
/**
 * The health probes (ALB target checks, Route 53 checks): never shed, since a shed probe would
 * take a healthy task or region out, and not counted in the request metrics (server.ts).
 */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);
const OVERLOADED_BODY = JSON.stringify({
  error: 'overloaded',
  message: 'The server is overloaded; retry after the Retry-After delay.',
});
const SHUTTING_DOWN_BODY = JSON.stringify({
  error: 'shutting_down',
  message: 'The server is shutting down; retry, another task will answer.',
});

function isExempt(url: string | undefined): boolean {
  if (url === undefined) return false;
  const q = url.indexOf('?');
  return PROBE_PATHS.has(q === -1 ? url : url.slice(0, q));
}

/**
 * Admission control in front of the router. When too many requests are in flight, or the
 * event loop is lagging, a request is answered 503 + Retry-After straight from the raw
 * HTTP handler (no routing, no body parsing), so rejecting costs far less than serving and
 * admitted requests keep their latency. Health checks are never shed.
 */
export class LoadShedder {
  inFlight = 0;
  /**
   * Set when shutdown starts: requests arriving on kept-alive connections get 503 +
   * `Connection: close` (the load balancer retries elsewhere) instead of starting new work.
   */
  closing = false;
  // Plain counters on the rejection path, which must stay cheaper than serving; flushed as LoadShed.
  private shedInFlight = 0;
  private shedEventLoop = 0;
  private readonly rejectHeaders: Record<string, string | number>;
  private readonly closingHeaders: Record<string, string | number>;
  /** Event-loop delay of the last sample window, in ms. */
  delayMs = 0;
  private sampler: NodeJS.Timeout | undefined;
  /** Sampled (and reset) every sample interval to decide on shedding. */
  private histogram: IntervalHistogram | undefined;
  /** Reset at each metrics flush, for the EventLoopDelay metric. */
  private reportHistogram: IntervalHistogram | undefined;
  private lastTick = 0;
  /**
   * The one listener per admitted response: frees its in-flight slot and records it (route,
   * status, latency since admission) in the `Requests` metrics. A fastify onResponse hook would
   * add two more listeners and a hook run to every request, a cached read's largest overhead.
   */
  private readonly release: (this: ServerResponse) => void;

  constructor(
    private readonly options: SheddingOptions,
    metrics: Metrics,
  ) {
    const shedder = this;
    this.release = function (this: Tracked) {
      shedder.inFlight--;
      // A response the client abandoned before it was sent answered nothing.
      if (this.writableFinished)
        metrics.request(this[ROUTE] ?? 'unmatched', this.statusCode, performance.now() - (this[ADMITTED_AT] as number));
    };
    this.rejectHeaders = {
      'content-type': 'application/json',
      'retry-after': String(options.retryAfterSeconds),
      'cache-control': 'no-store',
      'content-length': OVERLOADED_BODY.length,
    };
    this.closingHeaders = {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      connection: 'close',
      'content-length': SHUTTING_DOWN_BODY.length,
    };
    metrics.addCollector(() => {
      if (this.shedInFlight > 0) metrics.count('LoadShed', this.shedInFlight, { Reason: 'in_flight' });
      if (this.shedEventLoop > 0) metrics.count('LoadShed', this.shedEventLoop, { Reason: 'event_loop' });
      this.shedInFlight = 0;
      this.shedEventLoop = 0;
      if (!this.reportHistogram) return;
      metrics.gauge('EventLoopDelay', Math.max(0, this.reportHistogram.percentile(99) / 1e6 - RESOLUTION_MS));
      this.reportHistogram.reset();
    });
  }

  start(): void {
    if (this.sampler) return;
    this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.histogram.enable();
    this.reportHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.reportHistogram.enable();
    this.lastTick = performance.now();
    this.sampler = setInterval(() => this.sample(), this.options.sampleIntervalMs);
    this.sampler.unref();
  }

  stop(): void {
    if (this.sampler) clearInterval(this.sampler);
    this.sampler = undefined;
    this.histogram?.disable();
    this.reportHistogram?.disable();
  }

  private sample(): void {
    const now = performance.now();
    // The sampler's own lateness sees a stall as soon as the loop resumes; the histogram
    // catches shorter stalls inside the window.
    const drift = now - this.lastTick - this.options.sampleIntervalMs;
    this.lastTick = now;
    const histogramMax = this.histogram ? this.histogram.max / 1e6 - RESOLUTION_MS : 0;
    this.histogram?.reset();
    this.delayMs = Math.max(0, drift, histogramMax);
  }

  /** Returns false after answering 503 itself; otherwise counts the request in flight until its response closes. */
  admit(req: IncomingMessage, res: ServerResponse): boolean {
    if (isExempt(req.url)) return true;
    if (this.closing) {
      res.writeHead(503, this.closingHeaders);
      res.end(SHUTTING_DOWN_BODY);
      return false;
    }
    if (this.inFlight >= this.options.maxInFlight) {
      this.shedInFlight++;
      return this.reject(res);
    }
    if (this.options.maxEventLoopDelayMs > 0 && this.delayMs > this.options.maxEventLoopDelayMs) {
      this.shedEventLoop++;
      return this.reject(res);
    }
    this.inFlight++;
    (res as Tracked)[ADMITTED_AT] = performance.now();
    // 'close' fires exactly once per response (finished or aborted); on() avoids once()'s wrapper.
    res.on('close', this.release);
    return true;
  }

  private reject(res: ServerResponse): false {
    res.writeHead(503, this.rejectHeaders);
    res.end(OVERLOADED_BODY);
    return false;
  }
}
