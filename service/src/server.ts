import cookie from "@fastify/cookie";
import type { SQSClient } from "@aws-sdk/client-sqs";
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
import type { ActiveUsers, Session, SessionStore } from "./sessions.js";
import { PROBE_PATHS, type LoadShedder } from "./shedding.js";

export interface ServerDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  items: ItemService;
  sessions: SessionStore;
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
    const report = await deps.readiness.check();
    return reply.code(report.status === "ok" || report.status === "degraded" ? 200 : 503).send(report);
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

  app.post("/api/login", async (request, reply) => {
    // Identity is taken as given: put your IdP check (OIDC, Cognito, ALB auth headers) here.
    const { userId } = loginBody.parse(request.body);
    const sid = await sessions.create(userId);
    setSessionCookie(reply, sid);
    await activeUsers.record(userId);
    return { userId };
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

  app.post("/api/jobs", async (request, reply) => {
    const job = await enqueueJob(deps.sqs, config.WORK_QUEUE_URL, jobRequest.parse(request.body));
    metrics.count("JobsEnqueued");
    return reply.code(202).send({ jobId: job.id });
  });

  return app;
}

export type ApiServer = ReturnType<typeof buildServer>;
