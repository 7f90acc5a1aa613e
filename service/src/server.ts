import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Redis } from 'ioredis';
import Fastify, { LogController, type FastifyReply, type FastifyRequest, type onRequestHookHandler } from 'fastify';
import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import secureJson from 'secure-json-parse';
import { z } from 'zod';
import type { Config } from './config.js';
import { ClientError, DependencyError } from './errors.js';
import type { Readiness } from './health.js';
import { ITEM_ID, ITEM_ID_MAX_LENGTH, itemInput } from './items/repository.js';
import type { ItemService } from './items/service.js';
import { enqueueJob, jobRequest } from './jobs/jobs.js';
import { ThrottledLog, type Logger } from './log.js';
import type { Metrics } from './metrics.js';
import { rateLimits } from './rateLimit.js';
import { writeAllowed } from './probe/keys.js';
import type { ActiveUsers, Session, SessionStore } from './sessions.js';
import { tagRoute, type LoadShedder } from './shedding.js';

export interface ServerDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  items: ItemService;
  sessions: SessionStore;
  /** Counters of the per-client rate limits. */
  redis: Redis;
  activeUsers: ActiveUsers;
  sqs: SQSClient;
  readiness: Readiness;
  shedder: LoadShedder;
}

const loginBody = z.object({ userId: z.string().regex(/^[A-Za-z0-9_.@-]{1,128}$/) });
const JSON_TYPE = 'application/json; charset=utf-8';
const ITEM_ROUTE = '/api/items/:id';
const PROBE_KEY_SPACE = { error: 'forbidden', message: 'probe- items are written by their probe identity only.' };
const UNAUTHENTICATED = { error: 'unauthenticated', message: 'Log in first (POST /api/login): this needs a session.' };
const NOT_FOUND = JSON.stringify({ error: 'not_found', message: 'No item has this id.' });
/**
 * Path parameters longer than this are refused by the router (414) before any handler runs;
 * below it, an id that is not a valid item id gets a 400 that says what is allowed.
 */
const MAX_PARAM_LENGTH = 4 * ITEM_ID_MAX_LENGTH;
// What secure-json-parse throws for a "__proto__" or "constructor.prototype" key.
const FORBIDDEN_KEY_MESSAGE = 'Object contains forbidden prototype property';

/** `error` code of a status without a more specific one: its reason phrase in snake case (413 → payload_too_large). */
function statusCodeName(status: number): string {
  return (STATUS_CODES[status] ?? 'error').toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

// Fastify's own client errors whose status alone says too little, or whose message echoes the request.
const FASTIFY_ERRORS: Record<string, { code: string; message?: string }> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_json', message: 'The body is empty; send a JSON object.' },
  FST_ERR_BAD_URL: { code: 'bad_url', message: 'The path is not valid percent-encoded UTF-8.' },
  FST_ERR_MAX_PARAM_LENGTH: {
    code: 'uri_too_long',
    message: `A path segment is longer than ${MAX_PARAM_LENGTH} characters (item ids have at most ${ITEM_ID_MAX_LENGTH}).`,
  },
};

/**
 * Client errors node:http answers before any request exists (bad HTTP, headers or body not
 * received within HTTP_HEADERS_TIMEOUT_MS / HTTP_REQUEST_TIMEOUT_MS, headers too large), in the
 * same shape as every other error. Written raw, as fastify's default handler does.
 */
function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request_timeout', 'The request was not received in time.']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'headers_too_large', 'The request headers are too large.']
        : [400, 'bad_request', 'The request is not valid HTTP/1.1.'];
  const body = JSON.stringify({ error: code, message });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/**
 * The node:http server under fastify, with the load shedder in front of the router. Fastify
 * applies its server options only to a server it creates itself, so this factory applies them
 * as fastify would (lib/server.js getServerInstance): without it the keep-alive timeout is
 * node's 5 s, below the ALB's 60 s idle timeout (sporadic 502s), and a slow client holds a
 * connection for node's 300 s request timeout.
 */
function serverFactory(shedder: LoadShedder, nearHit: (req: IncomingMessage, res: ServerResponse) => boolean) {
  return (handler: RequestListener, opts: Record<string, unknown>): Server => {
    const server = createServer(
      { ...(opts.http as ServerOptions | undefined), requestTimeout: opts.requestTimeout as number },
      (req, res) => {
        if (shedder.admit(req, res) && !nearHit(req, res)) handler(req, res);
      },
    );
    server.keepAliveTimeout = opts.keepAliveTimeout as number;
    server.setTimeout(opts.connectionTimeout as number);
    if ((opts.maxRequestsPerSocket as number) > 0) server.maxRequestsPerSocket = opts.maxRequestsPerSocket as number;
    return server;
  };
}

const ITEMS_PREFIX = '/api/items/';

/**
 * Answers `GET /api/items/<id>` from the near-cache before fastify routes it, as its route would
 * (same status, body and headers), and returns true; anything else (another route, a query
 * string, an id the route would refuse, a near miss) returns false for fastify to handle. The
 * service's hottest answer then skips fastify's per-request objects, child logger and response
 * listeners: measured, the api then costs about what fastify's hello world does. Admission and
 * the Requests metrics still apply (the shedder admitted it; tagRoute labels it).
 */
function nearHitAnswer(items: ItemService) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url as string;
    if (req.method !== 'GET' || !url.startsWith(ITEMS_PREFIX)) return false;
    const id = url.slice(ITEMS_PREFIX.length);
    if (!ITEM_ID.test(id)) return false;
    const body = items.peek(id);
    if (body === undefined) return false;
    tagRoute(res, ITEM_ROUTE);
    const payload = body ?? NOT_FOUND;
    res.writeHead(body === null ? 404 : 200, {
      'content-type': JSON_TYPE,
      'content-length': Buffer.byteLength(payload),
    });
    res.end(payload);
    return true;
  };
}

/** Sends cached item JSON as is (no re-serialisation), or 404 for a cached "not found". */
function sendItem(reply: FastifyReply, body: string | null): FastifyReply {
  return body === null ? reply.code(404).type(JSON_TYPE).send(NOT_FOUND) : reply.type(JSON_TYPE).send(body);
}

export function buildServer(deps: ServerDeps) {
  const { config, metrics, items, sessions, activeUsers } = deps;
  const app = Fastify({
    loggerInstance: deps.log,
    // Access logs come from the ALB and request metrics from EMF; a log line per request
    // would cost more CPU than serving a cached read.
    logController: new LogController({ disableRequestLogging: true }),
    serverFactory: serverFactory(deps.shedder, nearHitAnswer(items)),
    // The shedder answers requests arriving during shutdown, in the service's error shape.
    return503OnClosing: false,
    bodyLimit: 64 * 1024,
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
    http: {
      headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
      // How often node looks for connections past those timeouts (its default is 30 s).
      connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.round(config.HTTP_HEADERS_TIMEOUT_MS / 4))),
    },
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (err, _request, reply) => sendError(reply, err),
    clientErrorHandler,
    // request.ip is the address TRUST_PROXY_HOPS proxies in (CloudFront and the ALB: 2), taken
    // from X-Forwarded-For. A hop count can only be trusted because nothing but the ALB reaches
    // the task (its security group); fastify ignores a bare number for that reason.
    trustProxy: config.TRUST_PROXY_HOPS > 0 ? (_address: string, hop: number) => hop < config.TRUST_PROXY_HOPS : false,
    // No per-request child logger (its cost shows on cached reads); error logs carry reqId themselves.
    childLoggerFactory: (logger) => logger,
  });
  const throttled = new ThrottledLog(deps.log);

  const limits = rateLimits(deps.redis, {
    prefix: config.REDIS_KEY_PREFIX,
    loginPerMinute: config.LOGIN_RATE_LIMIT_PER_MINUTE,
    jobsPerMinute: config.JOBS_RATE_LIMIT_PER_MINUTE,
  });
  app.register(rateLimit, limits.plugin);
  // The session a preHandler authenticated, for the handler and the per-user rate limit after it.
  const authenticated = new WeakMap<FastifyRequest, { sid: string; session: Session }>();

  // Every error answer is {"error": code, "message": text}, plus `issues` (400 invalid_request)
  // or `dependency` (503 unavailable); only a 500 is logged as an error.
  function sendError(reply: FastifyReply, err: Error & { statusCode?: number; code?: string }): FastifyReply {
    if (err instanceof DependencyError) {
      throttled.warn(`dep:${err.dependency}`, err.cause, `${err.dependency} unavailable; answering 503`);
      return reply
        .code(503)
        .header('retry-after', String(config.SHED_RETRY_AFTER_SECONDS || 1))
        .send({
          error: 'unavailable',
          message: `A dependency (${err.dependency}) is unavailable; retry later.`,
          dependency: err.dependency,
        });
    }
    if (err instanceof z.ZodError) {
      const issues = err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
      return reply.code(400).send({ error: 'invalid_request', message: issues.join('; '), issues });
    }
    if (err instanceof ClientError) return reply.code(err.statusCode).send({ error: err.code, message: err.message });
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      const known = err.code === undefined ? undefined : FASTIFY_ERRORS[err.code];
      return reply
        .code(err.statusCode)
        .send({ error: known?.code ?? statusCodeName(err.statusCode), message: known?.message ?? err.message });
    }
    reply.log.error({ err, reqId: reply.request.id, url: reply.request.url }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'Internal error; it has been logged.' });
  }
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _request, reply) => sendError(reply, err));

  // JSON only (anything else is a 415); the default JSON parser answers a "__proto__" key as
  // "Body is not valid JSON": the same library, clearer answers.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body.length === 0)
      return done(new ClientError(400, 'invalid_json', 'The body is empty; send a JSON object.'), undefined);
    try {
      done(null, secureJson.parse(body as string, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (err) {
      done(
        (err as Error).message === FORBIDDEN_KEY_MESSAGE
          ? new ClientError(
              400,
              'invalid_request',
              'The body has a "__proto__" or "constructor.prototype" key, which is not accepted.',
            )
          : new ClientError(400, 'invalid_json', `The body is not valid JSON: ${(err as Error).message}`),
        undefined,
      );
    }
  });

  // Methods per route pattern, to answer a known path with the wrong method 405 rather than 404.
  const routes = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  app.addHook('onRoute', (route) => {
    // The shedder records each admitted request in the Requests metrics, under this label. The
    // probes are not user traffic (Route 53's many checkers alone can send more than one a
    // second, which would dilute the 5xx rate): the shedder does not track them at all.
    const url = route.url;
    const label: onRequestHookHandler = (_request, reply, done) => {
      tagRoute(reply.raw, url);
      done();
    };
    route.onRequest = [label, ...[route.onRequest ?? []].flat()];
    let entry = routes.get(route.url);
    if (!entry) {
      const source = route.url
        .split('/')
        .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      routes.set(route.url, (entry = { pattern: new RegExp(`^${source}$`), methods: new Set() }));
    }
    for (const method of [route.method].flat()) entry.methods.add(method);
  });
  app.setNotFoundHandler((request, reply) => {
    const q = request.url.indexOf('?');
    const path = q === -1 ? request.url : request.url.slice(0, q);
    const allowed = new Set<string>();
    for (const { pattern, methods } of routes.values()) if (pattern.test(path)) for (const m of methods) allowed.add(m);
    if (allowed.size > 0) {
      return reply
        .code(405)
        .header('allow', [...allowed].sort().join(', '))
        .send({
          error: 'method_not_allowed',
          message: `${request.method} is not allowed here; use ${[...allowed].sort().join(' or ')}.`,
        });
    }
    return reply.code(404).send({ error: 'not_found', message: 'No route matches this path.' });
  });

  async function currentSession(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ sid: string; session: Session } | null> {
    const cookie = sessionCookie(request);
    if (!cookie) return null;
    const session = await sessions.get(cookie.sid);
    if (!session) return null;
    // Signed with the previous secret: re-sign with the current one.
    if (cookie.renew) setSessionCookie(reply, cookie.sid);
    void activeUsers.record(session.userId);
    return { sid: cookie.sid, session };
  }

  /** preHandler of routes that need a session: 401 without one. */
  async function requireSession(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const current = await currentSession(request, reply);
    if (!current) return reply.code(401).send({ error: 'unauthenticated' });
    authenticated.set(request, current);
  }

  /**
   * The session id a validly signed session cookie names, without reading Redis, and whether it
   * was signed with the previous secret (`renew`).
   */
  function sessionCookie(request: FastifyRequest): { sid: string; renew: boolean } | null {
    const raw = request.server.parseCookie(request.headers.cookie ?? '')[config.SESSION_COOKIE_NAME];
    if (!raw) return null;
    const unsigned = request.unsignCookie(raw);
    return unsigned.valid && unsigned.value ? { sid: unsigned.value, renew: unsigned.renew } : null;
  }

  function setSessionCookie(reply: FastifyReply, sid: string): void {
    reply.setCookie(config.SESSION_COOKIE_NAME, sid, {
      signed: true,
      httpOnly: true,
      secure: config.COOKIE_SECURE,
      sameSite: 'lax',
      path: '/',
      maxAge: config.SESSION_TTL_SECONDS,
    });
  }

  function itemId(request: FastifyRequest): string {
    const { id } = request.params as { id: string };
    if (!ITEM_ID.test(id))
      throw new ClientError(400, 'invalid_id', `The id must match [A-Za-z0-9_-]{1,${ITEM_ID_MAX_LENGTH}}.`);
    return id;
  }

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    // The errors go to the log (Readiness): they name hosts and ports, and this path is public.
    const { errors: _errors, ...report } = await deps.readiness.check();
    return reply.code(report.status === 'ok' ? 200 : 503).send(report);
  });

  // Near-cache hits are answered before routing (nearHitAnswer); this handles the rest, and a
  // hit whose request fastify had to decode first.
  app.get(ITEM_ROUTE, (request, reply) => {
    const id = itemId(request);
    // A near-cache hit is answered synchronously: no promise, no extra tick.
    const near = items.peek(id);
    if (near !== undefined) return sendItem(reply, near);
    return items.read(id).then((body) => sendItem(reply, body));
  });

  // Routes that use the session cookie. @fastify/cookie adds an onSend hook to every route of
  // its context (even with `hook: false`): registered here, it stays off the cached reads above.
  app.register(async (scoped) => {
    scoped.register(cookie, {
      // The first secret signs; the previous one still verifies during a rotation.
      secret: config.SESSION_SECRET_PREVIOUS
        ? [config.SESSION_SECRET, config.SESSION_SECRET_PREVIOUS]
        : config.SESSION_SECRET,
      // Parsed only where a handler reads the session, not on every request of this context.
      hook: false,
    });

    scoped.put(ITEM_ROUTE, async (request, reply) => {
      const id = itemId(request);
      const current = await currentSession(request, reply);
      if (!current) return reply.code(401).send(UNAUTHENTICATED);
      if (!writeAllowed(current.session.userId, id)) return reply.code(403).send(PROBE_KEY_SPACE);
      const input = itemInput.parse(request.body);
      return items.write(id, input, current.session.userId);
    });

    // Rate-limited routes are declared in plugins registered after @fastify/rate-limit: it adds
    // its hooks to the routes declared once it has loaded (onRoute).
    scoped.register(async (limited) => {
      limited.post('/api/login', { config: { rateLimit: limits.login } }, async (request, reply) => {
        // Identity is taken as given: put your IdP check (OIDC, Cognito, ALB auth headers) here.
        const { userId } = loginBody.parse(request.body);
        // A login replaces the session this client already holds (whoever it belonged to): no
        // session left behind per repeated login, and no session fixation.
        const previous = sessionCookie(request)?.sid;
        if (previous) await sessions.destroy(previous);
        const sid = await sessions.create(userId);
        setSessionCookie(reply, sid);
        await activeUsers.record(userId);
        return { userId };
      });
    });

    scoped.post('/api/logout', async (request, reply) => {
      const current = await currentSession(request, reply);
      if (current) await sessions.destroy(current.sid);
      // The same attributes as when set: a browser may ignore a clearing cookie that lacks them.
      reply.clearCookie(config.SESSION_COOKIE_NAME, {
        httpOnly: true,
        secure: config.COOKIE_SECURE,
        sameSite: 'lax',
        path: '/',
      });
      return reply.code(204).send();
    });

    scoped.get('/api/me', async (request, reply) => {
      const current = await currentSession(request, reply);
      if (!current) return reply.code(401).send(UNAUTHENTICATED);
      return current.session;
    });

    scoped.register(async (limited) => {
      limited.post(
        '/api/jobs',
        {
          preHandler: requireSession,
          config: { rateLimit: limits.jobs((request) => authenticated.get(request)?.session.userId) },
        },
        async (request, reply) => {
          const current = authenticated.get(request);
          if (!current) return reply.code(401).send({ error: 'unauthenticated' });
          const job = await enqueueJob(
            deps.sqs,
            config.WORK_QUEUE_URL,
            jobRequest.parse(request.body),
            current.session.userId,
          );
          metrics.count('JobsEnqueued');
          return reply.code(202).send({ jobId: job.id });
        },
      );
    });
  });

  return app;
}

export type ApiServer = ReturnType<typeof buildServer>;
