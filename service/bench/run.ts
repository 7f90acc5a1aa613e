/**
 * `npm run bench`: loopback benchmark of the built service (dist/) against real PostgreSQL and
 * Redis. Measures three ratios, each against a floor measured in the same run, and exits 1
 * when one misses its goal (checkGoals):
 *   1. cached GET ÷ bare node:http hello, in requests per server CPU second     (goal ≥ 0.8)
 *      (req/s is printed too; fastify's own hello world is printed for reference)
 *   2. database queries per 1,000 cached reads                                  (goal ≤ 10)
 *   3. goodput at 2× overload ÷ goodput at capacity                             (goal ≥ 0.95)
 *      and p99 of admitted requests at 2× overload ÷ at capacity               (goal < 2)
 * The load generator shares the machine's cores with the servers, as on a 2-core runner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';
import { count, latencies, LoadGenerator, percentile, type LoadResult } from './loadgen.js';
import {
  findPgUser,
  missingServers,
  PG_DATABASE,
  PG_HOST,
  PG_PORT,
  REDIS_HOST,
  REDIS_PORT,
} from '../test/helpers/servers.js';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MAX_IN_FLIGHT = Number(process.env.BENCH_MAX_IN_FLIGHT ?? 64);
const PHASES = new Set((process.env.BENCH_PHASES ?? 'reads,writes').split(','));
const ITEMS = 100;
const WRITE_KEYS = 2000;
/** USER_HZ: the unit of the CPU times in /proc/<pid>/stat on Linux. */
const CLOCK_TICKS = 100;

const runId = `bench${randomBytes(3).toString('hex')}`;
const children: ChildProcess[] = [];

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const address = srv.address();
  await new Promise<void>((r) => srv.close(() => r()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

interface Child {
  proc: ChildProcess;
  lines: string[];
  waitFor(predicate: (line: string) => boolean, timeoutMs?: number): Promise<string>;
}

function start(args: string[], env: Record<string, string>): Child {
  const proc = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(proc);
  const lines: string[] = [];
  let buffer = '';
  proc.stdout?.setEncoding('utf8').on('data', (c: string) => {
    buffer += c;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      lines.push(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
  });
  return {
    proc,
    lines,
    async waitFor(predicate, timeoutMs = 20000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const hit = lines.find(predicate);
        if (hit) return hit;
        if (proc.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${proc.exitCode}`);
        await sleep(20);
      }
      throw new Error(`timed out waiting for output of ${args.join(' ')}`);
    },
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

async function waitHealthy(url: string, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`api exited with ${proc.exitCode}`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error('api did not become ready');
}

async function cannon(url: string, paths: string[]): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: DURATION_S,
    requests: paths.map((path) => ({ method: 'GET', path })),
  });
}

function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

/** Sum of one EMF metric ("Name" or "Name:Reason" for LoadShed) over lines stamped within [from, to]. */
function emfSum(lines: string[], metric: string, from: number, to: number): number {
  const [name, reason] = metric.split(':') as [string, string | undefined];
  let sum = 0;
  for (const line of lines) {
    if (!line.startsWith('{"_aws"')) continue;
    const doc = JSON.parse(line) as Record<string, unknown> & { _aws: { Timestamp: number } };
    if (reason !== undefined && doc.Reason !== reason) continue;
    const value = doc[name];
    if (typeof value === 'number' && doc._aws.Timestamp >= from && doc._aws.Timestamp <= to) sum += value;
  }
  return sum;
}

/** Largest value of one EMF metric over lines stamped within [from, to]. */
function emfMax(lines: string[], name: string, from: number, to: number): number {
  let max = 0;
  for (const line of lines) {
    if (!line.startsWith('{"_aws"')) continue;
    const doc = JSON.parse(line) as Record<string, unknown> & { _aws: { Timestamp: number } };
    const value = doc[name];
    if (typeof value === 'number' && doc._aws.Timestamp >= from && doc._aws.Timestamp <= to) max = Math.max(max, value);
  }
  return max;
}

interface Summary {
  goodput: number;
  p99: number;
}

/** CPU ms so far of every process whose command line matches (0 without /proc). */
function cpuOf(match: (cmd: string) => boolean): number {
  if (!existsSync('/proc')) return 0;
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))) total += cpuMs(Number(pid)) ?? 0;
    } catch {
      // The process ended meanwhile.
    }
  }
  return total;
}

/**
 * The processes of the write path, for a CPU breakdown per run: other jobs on the machine
 * show up as these getting less CPU in a run, not as a property of the api.
 */
const COMPONENTS: Record<string, (cmd: string) => boolean> = {
  api: (c) => c.includes('dist/api.js'),
  postgres: (c) => c.startsWith('postgres'),
  redis: (c) => c.startsWith('redis-server'),
  sns: (c) => c.includes('fauxqs-server'),
};

function cpuSnapshot(): Record<string, number> {
  if (!existsSync('/proc/stat')) return {};
  const own = process.cpuUsage();
  const out: Record<string, number> = { 'load generator': (own.user + own.system) / 1000 };
  for (const [name, match] of Object.entries(COMPONENTS)) out[name] = cpuOf(match);
  // Interrupt handling (loopback traffic included) is charged to no process: shown apart.
  // Everything else on the machine: all CPU time but idle and iowait, less the above.
  const ticks = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').split(/\s+/).slice(1).map(Number);
  const ms = (t: number) => (t * 1000) / CLOCK_TICKS;
  const busy = ms(ticks.reduce((a, b) => a + b, 0) - (ticks[3] ?? 0) - (ticks[4] ?? 0));
  out.interrupts = ms((ticks[5] ?? 0) + (ticks[6] ?? 0));
  out['other jobs'] = busy - Object.values(out).reduce((a, b) => a + b, 0);
  return out;
}

/** "name N%" per component, in % of one core, between two snapshots `seconds` apart. */
function cpuShares(from: Record<string, number>, to: Record<string, number>, seconds: number): string {
  return Object.keys(from)
    .map((k) => `${k} ${fmt(((to[k] ?? 0) - (from[k] ?? 0)) / seconds / 10, 0)}%`)
    .join(', ');
}

function summarize(label: string, r: LoadResult, cpu: string): Summary {
  const ok = count(r, (s) => s >= 200 && s < 300);
  const shed = count(r, (s) => s === 503);
  const goodput = ok / r.durationS;
  const p99 = percentile(
    latencies(r, (s) => s >= 200 && s < 300),
    99,
  );
  const shedP99 = percentile(
    latencies(r, (s) => s === 503),
    99,
  );
  const other = r.sent - ok - shed;
  console.log(
    `  ${label}: offered ${fmt(r.sent / r.durationS, 0)}/s, goodput ${fmt(goodput, 0)}/s, p99 admitted ${fmt(p99, 1)} ms, ` +
      `shed ${fmt(shed / r.durationS, 0)}/s (p99 ${fmt(shedP99, 1)} ms), other ${other}${r.firstError ? ` (${r.firstError})` : ''}` +
      (r.maxSendLagMs > 0 ? `, generator lag ≤ ${fmt(r.maxSendLagMs, 0)} ms` : '') +
      `\n    CPU (% of one core): ${cpu}`,
  );
  return { goodput, p99 };
}

/** CPU time (user + system) a process has used so far, in ms; undefined where /proc is missing. */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return undefined;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

interface Measured {
  result: autocannon.Result;
  /** 2xx answers per second: a shed 503 is not a served read. */
  okPerS: number;
  cpuUsPerRequest: number | undefined;
}

async function measured(url: string, paths: string[], pid: number | undefined): Promise<Measured> {
  const before = cpuMs(pid);
  const result = await cannon(url, paths);
  const after = cpuMs(pid);
  // Per answered request: a shed or failed answer is not a served read, and costs less.
  const cpuUsPerRequest =
    before === undefined || after === undefined || result['2xx'] === 0
      ? undefined
      : ((after - before) * 1000) / result['2xx'];
  return { result, okPerS: result['2xx'] / result.duration, cpuUsPerRequest };
}

interface Server {
  label: string;
  url: string;
  pid: number | undefined;
  paths: string[];
}

/** What the phases measured, checked against GOALS at the end. */
interface Outcome {
  cachedVsBare?: { throughput: number; cpu: number | undefined };
  dbQueriesPer1000?: number;
  overload?: { ratio: number; p99Overload: number; p99Capacity: number };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function readPhases(
  api: Server,
  bare: Server,
  hello: Server,
  apiLines: string[],
  outcome: Outcome,
): Promise<void> {
  // 1. Cached reads vs a bare node:http server (and fastify's own hello world, for reference).
  // Rounds alternate; throughput keeps the best round of each, CPU per request the median, so
  // a burst of unrelated load on the machine does not decide either.
  const servers = [bare, hello, api];
  for (const s of servers) await cannon(s.url, s.paths);
  await sleep(1200);
  const from = Date.now();
  const runs = new Map<Server, Measured[]>(servers.map((s) => [s, []]));
  for (let round = 0; round < ROUNDS; round++)
    for (const s of servers) runs.get(s)?.push(await measured(s.url, s.paths, s.pid));
  const to = Date.now();
  await sleep(1200);
  const best = (s: Server) => Math.max(...(runs.get(s) ?? []).map((m) => m.okPerS));
  const cpu = (s: Server) => {
    const values = (runs.get(s) ?? []).map((m) => m.cpuUsPerRequest).filter((v): v is number => v !== undefined);
    return values.length > 0 ? median(values) : undefined;
  };
  const cached = runs.get(api) ?? [];
  for (const m of cached)
    if (m.result.non2xx > 0 || m.result.errors > 0)
      console.log(`  warning: ${m.result.non2xx} non-2xx and ${m.result.errors} errors in a cached run`);
  for (const s of servers) {
    const cpuText = cpu(s) === undefined ? '' : `; server CPU median ${fmt(cpu(s) as number, 1)} µs/request`;
    console.log(
      `${s.label.padEnd(28)} best ${fmt(best(s), 0)} req/s of ${(runs.get(s) ?? []).map((m) => fmt(m.okPerS, 0)).join(' / ')}${cpuText}`,
    );
  }
  const bareCpu = cpu(bare);
  const apiCpu = cpu(api);
  const helloCpu = cpu(hello);
  outcome.cachedVsBare = {
    throughput: best(api) / best(bare),
    cpu: bareCpu !== undefined && apiCpu !== undefined ? bareCpu / apiCpu : undefined,
  };
  console.log(
    `RATIO 1  cached GET ÷ bare node:http = ${fmt(outcome.cachedVsBare.throughput)} in req/s, ${fmt(outcome.cachedVsBare.cpu ?? NaN)} in requests per server CPU second` +
      ` (fastify hello world: ${fmt(best(hello) / best(bare))} and ${bareCpu !== undefined && helloCpu !== undefined ? fmt(bareCpu / helloCpu) : 'n/a'})`,
  );

  // 2. Database load during those runs, from the service's own EMF DbQueries metric.
  const reads = cached.reduce((n, m) => n + m.result['2xx'], 0);
  const dbQueries = emfSum(apiLines, 'DbQueries', from, to + 1200);
  const hits = emfSum(apiLines, 'CacheHits', from, to + 1200);
  const hitRatio = hits / Math.max(1, hits + emfSum(apiLines, 'CacheMisses', from, to + 1200));
  outcome.dbQueriesPer1000 = (1000 * dbQueries) / reads;
  console.log(
    `RATIO 2  database queries per 1,000 cached reads = ${fmt(outcome.dbQueriesPer1000, 3)}  (${dbQueries} queries, background outbox polling included, for ${reads} reads; cache hit ratio ${fmt(100 * hitRatio, 2)} %)`,
  );
}

async function writePhase(apiUrl: string, cookie: string, apiLines: string[], outcome: Outcome): Promise<void> {
  // 3. Writes at capacity (closed loop, MAX_IN_FLIGHT clients: the most the api admits at once),
  // then twice that rate offered open-loop. The median round is reported, so unrelated load on
  // the machine shows up as spread between rounds rather than as a skewed ratio.
  const put = () => {
    const id = `w-${Math.floor(Math.random() * WRITE_KEYS)}`;
    return {
      method: 'PUT' as const,
      path: `/api/items/${id}`,
      headers: { 'content-type': 'application/json', cookie },
      body: `{"name":"${id}","data":{"n":${Date.now()}}}`,
    };
  };
  console.log(
    `\noverload: PUT /api/items/:id (upsert + outbox row in one statement, Redis eviction, SNS relay), MAX_IN_FLIGHT=${MAX_IN_FLIGHT}`,
  );
  const gen = new LoadGenerator(apiUrl, MAX_IN_FLIGHT * 3);
  await gen.warm();
  await gen.closedLoop(put, MAX_IN_FLIGHT, 2000);
  // Capacity runs bracket the overload runs (C0 O1 C1 O2 … Cn): each overload run is offered
  // twice the goodput of the capacity run just before it, and compared with the mean of the
  // capacity runs on both sides, so load that other jobs put on the machine drifting between
  // two runs moves both sides of a ratio alike instead of skewing it.
  const rounds: Array<{ capacity: Summary; overload: Summary; ratio: number; p99Ratio: number }> = [];
  const from = Date.now();
  const capacityRun = async (label: string) => {
    const c0 = cpuSnapshot();
    const r = await gen.closedLoop(put, MAX_IN_FLIGHT, DURATION_S * 1000);
    const cpu = cpuShares(c0, cpuSnapshot(), DURATION_S);
    return summarize(`${label} capacity (closed loop, ${MAX_IN_FLIGHT} clients)`, r, cpu);
  };
  let before = await capacityRun('start');
  for (let round = 0; round < ROUNDS; round++) {
    const c0 = cpuSnapshot();
    const o = await gen.openLoop(put, before.goodput * 2, DURATION_S * 1000);
    const cpu = cpuShares(c0, cpuSnapshot(), DURATION_S);
    const overload = summarize(`round ${round + 1} 2× overload (open loop, ${fmt(before.goodput * 2, 0)}/s)`, o, cpu);
    const after = await capacityRun(`round ${round + 1}`);
    const capacity = { goodput: (before.goodput + after.goodput) / 2, p99: (before.p99 + after.p99) / 2 };
    rounds.push({
      capacity,
      overload,
      ratio: overload.goodput / capacity.goodput,
      p99Ratio: overload.p99 / capacity.p99,
    });
    before = after;
  }
  await gen.close();
  await sleep(1200);
  const to = Date.now();
  console.log(
    `  service (its own EMF): shed for in-flight ${emfSum(apiLines, 'LoadShed:in_flight', from, to)}, for event-loop delay ${emfSum(apiLines, 'LoadShed:event_loop', from, to)}, ` +
      `worst 1 s event-loop delay p99 ${fmt(emfMax(apiLines, 'EventLoopDelay', from, to), 1)} ms, invalidations published ${emfSum(apiLines, 'InvalidationsPublished', from, to)}`,
  );
  const mid = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)] as (typeof rounds)[number];
  outcome.overload = { ratio: mid.ratio, p99Overload: mid.overload.p99, p99Capacity: mid.capacity.p99 };
  console.log(
    `RATIO 3  goodput at 2× overload ÷ goodput at capacity = ${fmt(mid.ratio)}  (median of ${rounds.map((r) => fmt(r.ratio)).join(' / ')}); ` +
      `p99 of admitted requests ${fmt(mid.overload.p99, 1)} ms at 2× overload vs ${fmt(mid.capacity.p99, 1)} ms at capacity (${fmt(mid.overload.p99 / mid.capacity.p99)}×; ` +
      `rounds ${rounds.map((r) => fmt(r.p99Ratio)).join(' / ')})\n`,
  );
}

/** The goals, each a ratio measured within one run; a missed goal makes `npm run bench` exit 1. */
function checkGoals(outcome: Outcome): string[] {
  const missed: string[] = [];
  const check = (label: string, value: number | undefined, ok: (v: number) => boolean, goal: string) => {
    if (value === undefined) return;
    const pass = ok(value);
    console.log(`${pass ? 'PASS' : 'FAIL'}  ${label} = ${fmt(value)}  (goal ${goal})`);
    if (!pass) missed.push(`${label} = ${fmt(value)}, goal ${goal}`);
  };
  const c = outcome.cachedVsBare;
  check(
    'cached GET ÷ bare node:http, requests per server CPU second',
    c?.cpu ?? c?.throughput,
    (v) => v >= 0.8,
    '≥ 0.8',
  );
  check('database queries per 1,000 cached reads', outcome.dbQueriesPer1000, (v) => v <= 10, '≤ 10');
  check('goodput at 2× overload ÷ at capacity', outcome.overload?.ratio, (v) => v >= 0.95, '≥ 0.95');
  check(
    'p99 of admitted requests at 2× overload ÷ at capacity',
    outcome.overload && outcome.overload.p99Overload / outcome.overload.p99Capacity,
    (v) => v < 2,
    '< 2',
  );
  return missed;
}

async function main(): Promise<void> {
  const missing = await missingServers();
  if (missing) throw new Error(`the benchmark needs PostgreSQL and Redis: ${missing}`);
  const pgUser = (await findPgUser()) as string;
  const admin = new pg.Pool({ host: PG_HOST, port: PG_PORT, database: PG_DATABASE, user: pgUser, max: 2 });
  const redis = new Redis({ host: REDIS_HOST, port: REDIS_PORT });
  const schemas = [0, 1].map((i) => `${runId}_s${i}`);

  try {
    const fauxqs = start(['--import', 'tsx', 'bench/fauxqs-server.ts'], {});
    const queues = JSON.parse(await fauxqs.waitFor((l) => l.startsWith('{'))) as {
      address: string;
      workQueueUrl: string;
      topicArn: string;
    };

    // With its length given, as fastify and the api answer: headers passed to writeHead are sent
    // before end() knows the body, so without it node answers in chunked encoding, a heavier floor.
    const barePort = await freePort();
    const bare = start(
      [
        '-e',
        `require("node:http").createServer((q, s) => { s.writeHead(200, { "content-type": "text/plain", "content-length": 5 }); s.end("hello"); }).listen(${barePort}, "127.0.0.1", () => console.log("ready"))`,
      ],
      {},
    );
    await bare.waitFor((l) => l === 'ready');

    // fastify's own hello world: what the framework costs before this service adds anything.
    const helloPort = await freePort();
    const hello = start(
      [
        '-e',
        `require("fastify")().get("/", (q, r) => { r.type("text/plain").send("hello"); }).listen({ port: ${helloPort}, host: "127.0.0.1" }).then(() => console.log("ready"))`,
      ],
      {},
    );
    await hello.waitFor((l) => l === 'ready');

    const apiPort = await freePort();
    // BENCH_CPU_PROF=<dir>: the api writes a V8 CPU profile there on exit (open it in Chrome DevTools).
    const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    const api = start([...profile, '--enable-source-maps', 'dist/api.js'], {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_ENDPOINT_URL: queues.address,
      REGION: 'bench-region',
      PORT: String(apiPort),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SHARD_MAP: JSON.stringify(
        schemas.map((schema, i) => ({
          name: `shard-${i}`,
          writerHost: PG_HOST,
          port: PG_PORT,
          database: PG_DATABASE,
          schema,
        })),
      ),
      DB_USERNAME: pgUser,
      DB_SSL: 'disable',
      MIGRATE_ON_START: 'true',
      REDIS_URL: `redis://${REDIS_HOST}:${REDIS_PORT}/0`,
      REDIS_KEY_PREFIX: `${runId}:`,
      SESSION_SECRET: randomBytes(32).toString('hex'),
      COOKIE_SECURE: 'false',
      WORK_QUEUE_URL: queues.workQueueUrl,
      INVALIDATION_TOPIC_ARN: queues.topicArn,
      MAX_IN_FLIGHT: String(MAX_IN_FLIGHT),
      METRICS_FLUSH_INTERVAL_MS: '1000',
    });
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitHealthy(apiUrl, api.proc);

    const login = await fetch(`${apiUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"userId":"bench"}',
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const paths = Array.from({ length: ITEMS }, (_, i) => `/api/items/bench-${i}`);
    for (let i = 0; i < ITEMS; i++) {
      // A busy machine may shed a seeding write (503 + Retry-After): honour it and retry.
      for (let attempt = 1; ; attempt++) {
        const res = await fetch(`${apiUrl}${paths[i]}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', cookie },
          body: JSON.stringify({ name: `item ${i}`, data: { size: i, tags: ['bench', 'cached'] } }),
        });
        if (res.status === 200) break;
        if (res.status !== 503 || attempt === 10) throw new Error(`seeding failed: ${res.status} ${await res.text()}`);
        await sleep(1000 * Number(res.headers.get('retry-after') ?? 1));
      }
    }

    console.log(
      `\nbenchmark: ${CONNECTIONS} connections, ${DURATION_S} s per run, loopback, load generator on the same cores\n`,
    );

    {
      // What the api spends with no request at all (timers, pools, metrics, event-loop monitors).
      const before = cpuMs(api.proc.pid);
      await sleep(3000);
      const after = cpuMs(api.proc.pid);
      if (before !== undefined && after !== undefined)
        console.log(`api idle: ${fmt((after - before) / 3, 1)} ms CPU per second`);
    }
    const outcome: Outcome = {};
    if (PHASES.has('reads')) {
      await readPhases(
        { label: 'cached GET /api/items/:id', url: apiUrl, pid: api.proc.pid, paths },
        { label: 'bare node:http hello', url: `http://127.0.0.1:${barePort}`, pid: bare.proc.pid, paths: ['/'] },
        { label: 'fastify hello world', url: `http://127.0.0.1:${helloPort}`, pid: hello.proc.pid, paths: ['/'] },
        api.lines,
        outcome,
      );
    }
    if (PHASES.has('writes')) await writePhase(apiUrl, cookie, api.lines, outcome);
    const missed = checkGoals(outcome);
    if (missed.length > 0) {
      console.log(`\n${missed.length} goal(s) missed`);
      process.exitCode = 1;
    }

    await stop(api.proc);
    await stop(bare.proc);
    await stop(hello.proc);
    await stop(fauxqs.proc);
  } finally {
    await Promise.all(children.map(stop));
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await admin.end();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${runId}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await redis.quit();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
