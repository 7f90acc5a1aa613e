import cookie from "@fastify/cookie";
import rateLimit from "@fastify/rate-limit";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Redis } from "ioredis";
import Fastify, { LogController, type FastifyReply, type FastifyRequest } from "fastify";
import { z } from "zod";
import type { Config } from "./config.js";
import { DependencyError } from "./errors.js";
import type { Readiness } from "./health.js";
import { ITEM_ID, itemInput } from "./items/repository.js";
import type { ItemService } from "./items/service.js";
import { enqueueJob, jobRequest } from "./jobs/jobs.js";
import { ThrottledLog, type Logger } from "./log.js";
import type { Metrics } from "./metrics.js";
import { rateLimits } from "./rateLimit.js";
import type { ActiveUsers, Session, SessionStore } from "./sessions.js";
import { PROBE_PATHS, type LoadShedder } from "./shedding.js";

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
const JSON_TYPE = "application/json; charset=utf-8";
const NOT_FOUND = JSON.stringify({ error: "not_found" });

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
    serverFactory: deps.shedder.serverFactory,
    return503OnClosing: true,
    bodyLimit: 64 * 1024,
    // Longer than the ALB idle timeout (60 s), so the ALB, not the task, closes idle connections.
    keepAliveTimeout: 65_000,
    // request.ip is the address TRUST_PROXY_HOPS proxies in (CloudFront and the ALB: 2), taken
    // from X-Forwarded-For. A hop count can only be trusted because nothing but the ALB reaches
    // the task (its security group); fastify ignores a bare number for that reason.
    trustProxy: config.TRUST_PROXY_HOPS > 0 ? (_address: string, hop: number) => hop < config.TRUST_PROXY_HOPS : false,
    // No per-request child logger (its cost shows on cached reads); error logs carry reqId themselves.
    childLoggerFactory: (logger) => logger,
  });
  const throttled = new ThrottledLog(deps.log);

  app.register(cookie, {
    // The first secret signs; the previous one still verifies during a rotation.
    secret: config.SESSION_SECRET_PREVIOUS ? [config.SESSION_SECRET, config.SESSION_SECRET_PREVIOUS] : config.SESSION_SECRET,
    // Parsed only by the routes that use the session, not on every request.
    hook: false,
  });

  const limits = rateLimits(deps.redis, {
    prefix: config.REDIS_KEY_PREFIX,
    loginPerMinute: config.LOGIN_RATE_LIMIT_PER_MINUTE,
    jobsPerMinute: config.JOBS_RATE_LIMIT_PER_MINUTE,
  });
  app.register(rateLimit, limits.plugin);
  // The session a preHandler authenticated, for the handler and the per-user rate limit after it.
  const authenticated = new WeakMap<FastifyRequest, { sid: string; session: Session }>();

  app.addHook("onResponse", (request, reply, done) => {
    const route = request.routeOptions.url;
    // Probes are not user traffic: Route 53's many checkers alone can send more than one a second,
    // which would dilute the 5xx rate, and a 503 from /readyz is not a user-facing error.
    if (route === undefined || !PROBE_PATHS.has(route)) metrics.request(route ?? "unmatched", reply.statusCode, reply.elapsedTime);
    done();
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (err instanceof DependencyError) {
      throttled.warn(`dep:${err.dependency}`, err.cause, `${err.dependency} unavailable; answering 503`);
      return reply
        .code(503)
        .header("retry-after", String(config.SHED_RETRY_AFTER_SECONDS || 1))
        .send({ error: "unavailable", dependency: err.dependency });
    }
    if (err instanceof z.ZodError) {
      return reply.code(400).send({ error: "invalid_request", issues: err.issues.map((i) => `${i.path.join(".")}: ${i.message}`) });
    }
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: err.code ?? "bad_request", message: err.message });
    }
    request.log.error({ err, reqId: request.id, url: request.url }, "request failed");
    return reply.code(500).send({ error: "internal" });
  });

  async function currentSession(request: FastifyRequest, reply: FastifyReply): Promise<{ sid: string; session: Session } | null> {
    const raw = app.parseCookie(request.headers.cookie ?? "")[config.SESSION_COOKIE_NAME];
    if (!raw) return null;
    const unsigned = request.unsignCookie(raw);
    if (!unsigned.valid || !unsigned.value) return null;
    const session = await sessions.get(unsigned.value);
    if (!session) return null;
    // Signed with the previous secret: re-sign with the current one.
    if (unsigned.renew) setSessionCookie(reply, unsigned.value);
    void activeUsers.record(session.userId);
    return { sid: unsigned.value, session };
  }

  /** preHandler of routes that need a session: 401 without one. */
  async function requireSession(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const current = await currentSession(request, reply);
    if (!current) return reply.code(401).send({ error: "unauthenticated" });
    authenticated.set(request, current);
  }

  /** The id of the session a valid signed cookie names, without reading Redis. */
  function cookieSessionId(request: FastifyRequest): string | null {
    const raw = app.parseCookie(request.headers.cookie ?? "")[config.SESSION_COOKIE_NAME];
    if (!raw) return null;
    const unsigned = request.unsignCookie(raw);
    return unsigned.valid && unsigned.value ? unsigned.value : null;
  }

  function setSessionCookie(reply: FastifyReply, sid: string): void {
    reply.setCookie(config.SESSION_COOKIE_NAME, sid, {
      signed: true,
      httpOnly: true,
      secure: config.COOKIE_SECURE,
      sameSite: "lax",
      path: "/",
      maxAge: config.SESSION_TTL_SECONDS,
    });
  }

  function itemId(request: FastifyRequest): string {
    const { id } = request.params as { id: string };
    if (!ITEM_ID.test(id)) throw Object.assign(new Error("id must match [A-Za-z0-9_-]{1,128}"), { statusCode: 400, code: "invalid_id" });
    return id;
  }

  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async (_request, reply) => {
    // The errors go to the log (Readiness): they name hosts and ports, and this path is public.
    const { errors: _errors, ...report } = await deps.readiness.check();
    return reply.code(report.status === "ok" ? 200 : 503).send(report);
  });

  app.get("/api/items/:id", (request, reply) => {
    const id = itemId(request);
    // A near-cache hit is answered synchronously: no promise, no extra tick.
    const near = items.peek(id);
    if (near !== undefined) return sendItem(reply, near);
    return items.read(id).then((body) => sendItem(reply, body));
  });

  app.put("/api/items/:id", async (request, reply) => {
    const id = itemId(request);
    const current = await currentSession(request, reply);
    if (!current) return reply.code(401).send({ error: "unauthenticated" });
    const input = itemInput.parse(request.body);
    return items.write(id, input, current.session.userId);
  });

  // Rate-limited routes are declared in plugins registered after @fastify/rate-limit: it adds
  // its hooks to the routes declared once it has loaded (onRoute).
  app.register(async (limited) => {
    limited.post("/api/login", { config: { rateLimit: limits.login } }, async (request, reply) => {
      // Identity is taken as given: put your IdP check (OIDC, Cognito, ALB auth headers) here.
      const { userId } = loginBody.parse(request.body);
      // A login replaces the session this client already holds (whoever it belonged to): no
      // session left behind per repeated login, and no session fixation.
      const previous = cookieSessionId(request);
      if (previous) await sessions.destroy(previous);
      const sid = await sessions.create(userId);
      setSessionCookie(reply, sid);
      await activeUsers.record(userId);
      return { userId };
    });
  });

  app.post("/api/logout", async (request, reply) => {
    const current = await currentSession(request, reply);
    if (current) await sessions.destroy(current.sid);
    reply.clearCookie(config.SESSION_COOKIE_NAME, { path: "/" });
    return reply.code(204).send();
  });

  app.get("/api/me", async (request, reply) => {
    const current = await currentSession(request, reply);
    if (!current) return reply.code(401).send({ error: "unauthenticated" });
    return current.session;
  });

  app.register(async (limited) => {
    limited.post(
      "/api/jobs",
      { preHandler: requireSession, config: { rateLimit: limits.jobs((request) => authenticated.get(request)?.session.userId) } },
      async (request, reply) => {
        const current = authenticated.get(request);
        if (!current) return reply.code(401).send({ error: "unauthenticated" });
        const job = await enqueueJob(deps.sqs, config.WORK_QUEUE_URL, jobRequest.parse(request.body), current.session.userId);
        metrics.count("JobsEnqueued");
        return reply.code(202).send({ jobId: job.id });
      },
    );
  });

  return app;
}

export type ApiServer = ReturnType<typeof buildServer>;
