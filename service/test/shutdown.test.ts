import assert from 'node:assert/strict';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { shardIndexFor } from '../src/db/routing.js';
import { eventually, TestEnv } from './helpers/env.js';
import { TcpProxy } from './helpers/proxy.js';
import { integrationSkip, PG_HOST, PG_PORT } from './helpers/servers.js';

const skip = await integrationSkip();

interface Service {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** Runs an entrypoint as its own process, exactly as the container would (but through tsx). */
function spawnService(entry: string, env: Record<string, string>): Service {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...env,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let buffer = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.startsWith('{')) logs.push(JSON.parse(line));
    }
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    logs,
    exited,
    waitForLog: (msg, timeoutMs = 15000) =>
      eventually(() => logs.find((l) => l.msg === msg), timeoutMs, 20).catch((err: unknown) => {
        throw new Error(`no "${msg}" log; stderr: ${stderr}`, { cause: err });
      }),
  };
}

describe('graceful shutdown on SIGTERM', { skip }, () => {
  let env: TestEnv;
  let slowDb: TcpProxy;
  const children: ChildProcess[] = [];

  before(async () => {
    env = await TestEnv.create();
    slowDb = await TcpProxy.start(PG_HOST, PG_PORT);
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await slowDb.close();
    await env.cleanup();
  });

  it('api: a request in flight when SIGTERM arrives completes, then the process exits 0', async () => {
    // The database answers only when released, so the request is surely in flight when the
    // signal arrives however slow the machine (no fixed sleep to guess it). Single-region (no
    // outbox relay polling), so the only query through the proxy is the request's.
    const svc = spawnService(
      'src/api.ts',
      env.rawEnv('a', {
        SHARD_MAP: env.shardMap({ port: slowDb.port }),
        DB_CONNECT_TIMEOUT_MS: '60000',
        DB_STATEMENT_TIMEOUT_MS: '60000',
        INVALIDATION_TOPIC_ARN: '',
        INVALIDATION_QUEUE_URL: '',
      }),
    );
    children.push(svc.child);
    const { port } = (await svc.waitForLog('api listening')) as { port: number };
    const url = `http://127.0.0.1:${port}`;

    slowDb.hold();
    const inFlight = fetch(`${url}/api/items/slow-cold-key`);
    await eventually(() => slowDb.heldChunks > 0, 30_000);
    svc.child.kill('SIGTERM');
    await svc.waitForLog('shutting down');
    slowDb.release();
    const res = await inFlight;
    assert.equal(res.status, 404, 'the in-flight request was answered normally');
    assert.deepEqual(await res.json(), { error: 'not_found', message: 'No item has this id.' });

    assert.equal(await svc.exited, 0);
    const messages = svc.logs.map((l) => l.msg);
    assert.ok(messages.indexOf('shutting down') < messages.indexOf('api stopped'));
    await assert.rejects(fetch(`${url}/healthz`), 'no longer listening');
  });

  it('api: an idle process stops well inside the stop timeout, flushing its metrics', async () => {
    slowDb.delayMs = 0;
    const svc = spawnService('src/api.ts', env.rawEnv('a', { INVALIDATION_WAIT_SECONDS: '20' }));
    children.push(svc.child);
    const { port } = (await svc.waitForLog('api listening')) as { port: number };
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/items/idle`)).status, 404);
    const healthcheck = () =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/healthcheck.ts'], {
        env: { PATH: process.env.PATH, PORT: String(port) },
        timeout: 10000,
      }).status;
    assert.equal(healthcheck(), 0, 'the container health check command passes');
    const started = performance.now();
    svc.child.kill('SIGTERM');
    assert.equal(await svc.exited, 0);
    assert.ok(performance.now() - started < 3000, 'did not wait for the 20 s invalidation long poll');
    const emf = svc.logs.find((l) => '_aws' in l && 'Requests' in l);
    assert.ok(emf, 'final EMF flush on the way out');
    assert.equal(healthcheck(), 1, 'and fails once the process is gone');
  });

  it('worker: finishes the job in hand on SIGTERM, deletes it, and exits 0', async () => {
    slowDb.delayMs = 100;
    const schema = env.schema(shardIndexFor('w-1', env.shardCount));
    await env.admin.query(`INSERT INTO "${schema}".items (id, name) VALUES ('w-1', 'w')`);
    const svc = spawnService(
      'src/worker.ts',
      env.rawEnv('a', { SHARD_MAP: env.shardMap({ port: slowDb.port }), WORKER_WAIT_SECONDS: '5' }),
    );
    children.push(svc.child);
    await svc.waitForLog('worker polling');
    env.fauxqs.spy.clear();
    const job = {
      id: 'sigterm-job',
      type: 'item.increment',
      itemId: 'w-1',
      by: 7,
      enqueuedAt: new Date().toISOString(),
    };
    await env.sqs.send(
      new SendMessageCommand({ QueueUrl: env.queues.work.queueUrl, MessageBody: JSON.stringify(job) }),
    );
    await eventually(() => (env.fauxqs.inspectQueue('work')?.messages.inflight.length ?? 0) === 1, 5000, 5);
    // Let the receive response reach the worker before the signal.
    await sleep(100);
    svc.child.kill('SIGTERM');
    assert.equal(await svc.exited, 0);
    const processed = svc.logs.find((l) => l.msg === 'job processed');
    assert.ok(processed, 'the job finished after SIGTERM');
    assert.ok(
      svc.logs.indexOf(processed) > svc.logs.findIndex((l) => l.msg === 'shutting down'),
      'and it finished after the signal',
    );
    await env.fauxqs.spy.waitForMessage({ service: 'sqs', queueName: 'work', status: 'consumed' }, 'consumed', 100);
    const { rows } = await env.admin.query(`SELECT counter FROM "${schema}".items WHERE id = 'w-1'`);
    assert.equal(Number(rows[0].counter), 7);
  });
});
