import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request as httpRequest, Agent } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { jobRequest } from '../src/jobs/jobs.js';
import { ApiService } from '../src/runtime.js';
import { eventually, json, login, putItem, TestEnv } from './helpers/env.js';
import { integrationSkip } from './helpers/servers.js';

const skip = await integrationSkip();

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request over node:http, so hop-by-hop headers (Keep-Alive, Connection) are visible. */
function raw(
  url: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string; agent?: Agent } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}${path}`,
      { method, headers: options.headers, agent: options.agent ?? false },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Sends bytes on a raw TCP connection and collects everything until the server closes it. */
async function rawSocket(port: number, bytes: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.setEncoding('utf8').on('data', (c: string) => (received += c));
  socket.write(bytes);
  await once(socket, 'close');
  return received;
}

/** The one error shape: `error` is a snake_case code, `message` a sentence for a human. */
function assertErrorShape(
  answer: { status: number; contentType: string | undefined; body: string },
  status: number,
  code: string,
): Record<string, unknown> {
  assert.equal(answer.status, status, answer.body);
  assert.match(answer.contentType ?? '', /^application\/json/);
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  assert.equal(body.error, code, answer.body);
  assert.equal(typeof body.message, 'string', answer.body);
  assert.ok((body.message as string).length > 0);
  assert.equal(body.statusCode, undefined, 'no fastify-specific fields');
  assert.equal(body.code, undefined, 'no fastify-specific fields');
  return body;
}

async function fetched(res: Response): Promise<{ status: number; contentType: string | undefined; body: string }> {
  return { status: res.status, contentType: res.headers.get('content-type') ?? undefined, body: await res.text() };
}

const CONFIGURED = {
  HTTP_KEEP_ALIVE_TIMEOUT_MS: '65000',
  HTTP_HEADERS_TIMEOUT_MS: '600',
  HTTP_REQUEST_TIMEOUT_MS: '1200',
  COOKIE_SECURE: 'true',
};

describe('HTTP surface', { skip }, () => {
  let env: TestEnv;
  let api: ApiService;
  let url: string;
  let port: number;
  let cookie: string;
  /** Log lines at level error or above, written by the api. */
  const errorLogs: string[] = [];

  before(async () => {
    env = await TestEnv.create();
    const log = pino(
      { level: 'warn', base: undefined },
      {
        write: (line: string) => {
          if (/"level":(50|60)/.test(line)) errorLogs.push(line);
        },
      },
    );
    api = new ApiService(env.config('a', CONFIGURED), { log, metricsSink: () => {} });
    port = await api.start();
    url = `http://127.0.0.1:${port}`;
    cookie = await login(url, 'http-tester');
  });
  after(async () => {
    await api?.stop();
    await env.cleanup();
    assert.deepEqual(errorLogs, [], 'no request logged an error');
  });

  describe('connection timeouts', () => {
    it('applies the configured keep-alive, request and headers timeouts to the listening server', () => {
      const server = api.app.server;
      assert.equal(server.keepAliveTimeout, 65_000);
      assert.equal(server.headersTimeout, 600);
      assert.equal(server.requestTimeout, 1200);
    });

    it("announces the configured keep-alive timeout, above the ALB's 60 s idle timeout", async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const res = await raw(url, 'GET', '/api/items/keepalive-1', { agent });
        assert.equal(res.status, 404);
        assert.equal(res.headers['keep-alive'], 'timeout=65');
        assert.equal(res.headers.connection, 'keep-alive');
      } finally {
        agent.destroy();
      }
    });

    it('cuts a client that does not finish its headers with a 408 in the error shape', async () => {
      const answer = await rawSocket(port, 'GET /api/items/slow HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      const [head, body] = answer.split('\r\n\r\n') as [string, string];
      assert.match(head, /^HTTP\/1\.1 408 /);
      assertErrorShape(
        { status: 408, contentType: /content-type: ([^\r]+)/i.exec(head)?.[1], body },
        408,
        'request_timeout',
      );
    });

    it('cuts a client that sends its body too slowly (requestTimeout)', async () => {
      const socket = connect(port, '127.0.0.1');
      await once(socket, 'connect');
      let received = '';
      socket.setEncoding('utf8').on('data', (c: string) => (received += c));
      socket.write(
        `PUT /api/items/slow-body HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nCookie: ${cookie}\r\n\r\n{"name":`,
      );
      // A trickle that keeps the socket active but never completes the body.
      const trickle = setInterval(() => socket.write(' '), 100);
      try {
        await once(socket, 'close');
      } finally {
        clearInterval(trickle);
      }
      assert.match(received, /^HTTP\/1\.1 408 /);
    });
  });

  describe('bad input is a 4xx with a clear body, never a 500', () => {
    async function putRaw(id: string, body: string): Promise<Record<string, unknown>> {
      const res = await fetch(`${url}/api/items/${id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', cookie },
        body,
      });
      return assertErrorShape(await fetched(res), 400, 'invalid_request');
    }

    it('rejects a NUL character in name (PostgreSQL text cannot hold it)', async () => {
      const body = await putRaw('bad-nul-name', JSON.stringify({ name: 'a\u0000b' }));
      assert.match(body.message as string, /name: .*NUL/);
    });

    it('rejects a NUL character in a string inside data', async () => {
      const body = await putRaw('bad-nul-data', JSON.stringify({ name: 'x', data: { deep: ['ok', 'a\u0000b'] } }));
      assert.match(body.message as string, /data\.deep\.1: .*NUL/);
    });

    it('rejects a NUL character in a key inside data', async () => {
      const body = await putRaw('bad-nul-key', JSON.stringify({ name: 'x', data: { 'a\u0000': 1 } }));
      assert.match(body.message as string, /data: .*NUL/);
    });

    it('rejects a lone surrogate in a key of data (jsonb cannot hold it)', async () => {
      const body = await putRaw('bad-surrogate-key', '{"name":"x","data":{"\\ud800":1}}');
      assert.match(body.message as string, /data: .*surrogate/);
    });

    it('rejects a lone surrogate in name instead of storing a replacement character', async () => {
      const body = await putRaw('bad-surrogate-name', '{"name":"a\\udc00"}');
      assert.match(body.message as string, /name: .*surrogate/);
    });

    it('rejects data nested deeper than 32 levels, however deep', async () => {
      for (const depth of [33, 5000, 20000]) {
        const body = await putRaw('bad-deep', `{"name":"x","data":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}`);
        assert.match(body.message as string, /nested deeper than 32/);
      }
      // 32 levels are accepted.
      const ok = await putItem(url, cookie, 'ok-deep', {
        name: 'x',
        data: { a: JSON.parse(`${'['.repeat(31)}${']'.repeat(31)}`) },
      });
      assert.equal(ok.status, 200);
    });

    it('rejects a number JSON cannot represent (1e400) instead of storing null', async () => {
      const body = await putRaw('bad-number', '{"name":"x","data":{"n":1e400}}');
      assert.match(body.message as string, /data\.n: .*finite/);
    });

    it('rejects __proto__ keys with a message naming them', async () => {
      const body = await putRaw('bad-proto', '{"name":"x","data":{"__proto__":{"admin":true}}}');
      assert.match(body.message as string, /__proto__/);
    });

    it('answers malformed JSON with invalid_json', async () => {
      const res = await fetch(`${url}/api/items/bad-json`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', cookie },
        body: '{"name":',
      });
      assertErrorShape(await fetched(res), 400, 'invalid_json');
    });

    it('the valid neighbours of each rejected value are stored unchanged', async () => {
      const data = { emoji: '\u{1F600}', big: 1e300, nested: { a: [1, { b: null }] }, empty: '' };
      const res = await putItem(url, cookie, 'good-neighbours', { name: '\u{1F600} ok', data });
      assert.equal(res.status, 200);
      const item = await json(await fetch(`${url}/api/items/good-neighbours`));
      assert.equal(item.name, '\u{1F600} ok');
      assert.deepEqual(item.data, data);
    });
  });

  describe('item ids of 1 to 128 characters, at both ends', () => {
    const id128 = 'x'.repeat(128);
    const id129 = 'x'.repeat(129);

    it('serves and stores ids of up to 128 characters', async () => {
      const id101 = 'y'.repeat(101);
      assert.equal((await fetch(`${url}/api/items/${id101}`)).status, 404);
      assert.equal((await putItem(url, cookie, id128, { name: 'long id' })).status, 200);
      const res = await fetch(`${url}/api/items/${id128}`);
      assert.equal(res.status, 200);
      assert.equal((await json(res)).id, id128);
    });

    it('answers 400 invalid_id for 129 characters', async () => {
      assertErrorShape(await fetched(await fetch(`${url}/api/items/${id129}`)), 400, 'invalid_id');
    });

    it('answers 414 in the error shape for an id far beyond any valid one', async () => {
      assertErrorShape(await fetched(await fetch(`${url}/api/items/${'z'.repeat(2000)}`)), 414, 'uri_too_long');
    });

    it('POST /api/jobs refuses an idempotency key PostgreSQL cannot store with 400, before it reaches the queue', async () => {
      for (const idempotencyKey of ['nul\u0000key', 'lone\ud800']) {
        const res = await fetch(`${url}/api/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', cookie },
          body: JSON.stringify({ type: 'item.increment', itemId: 'job-key', idempotencyKey }),
        });
        const body = await json(res);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(body.error, 'invalid_request');
        assert.match(String(body.message), /idempotencyKey/);
      }
    });

    it('POST /api/jobs accepts exactly the ids the item routes serve', () => {
      for (const [id, ok] of [
        [id128, true],
        [id129, false],
        ['a b', false],
      ] as const) {
        assert.equal(
          jobRequest.safeParse({ type: 'item.increment', itemId: id }).success,
          ok,
          `${id.length} characters`,
        );
      }
    });
  });

  describe('one error shape for every 4xx and 5xx', () => {
    it('unknown path: 404 not_found', async () => {
      assertErrorShape(await fetched(await fetch(`${url}/nope`)), 404, 'not_found');
    });

    it('unknown item: 404 not_found', async () => {
      assertErrorShape(await fetched(await fetch(`${url}/api/items/never-written`)), 404, 'not_found');
    });

    it('wrong method on a known path: 405 with Allow', async () => {
      const res = await fetch(`${url}/api/items/x`, { method: 'DELETE' });
      assert.equal(res.headers.get('allow'), 'GET, HEAD, PUT');
      assertErrorShape(await fetched(res), 405, 'method_not_allowed');
      const login = await fetch(`${url}/api/login`);
      assert.equal(login.headers.get('allow'), 'POST');
      assertErrorShape(await fetched(login), 405, 'method_not_allowed');
    });

    it('no session: 401 unauthenticated', async () => {
      assertErrorShape(await fetched(await fetch(`${url}/api/me`)), 401, 'unauthenticated');
    });

    it('invalid body: 400 invalid_request with the issues', async () => {
      const res = await fetch(`${url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"userId":"bad user"}',
      });
      const body = assertErrorShape(await fetched(res), 400, 'invalid_request');
      assert.match(body.message as string, /^userId: /);
      assert.ok(Array.isArray(body.issues));
    });

    it('empty JSON body: 400 invalid_json', async () => {
      const res = await fetch(`${url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '',
      });
      assertErrorShape(await fetched(res), 400, 'invalid_json');
    });

    it('unsupported content type: 415', async () => {
      const res = await fetch(`${url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'alice',
      });
      assertErrorShape(await fetched(res), 415, 'unsupported_media_type');
    });

    it('body over the limit: 413', async () => {
      const res = await fetch(`${url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'x'.repeat(70_000) }),
      });
      assertErrorShape(await fetched(res), 413, 'payload_too_large');
    });

    it('malformed percent-encoding in the path: 400 bad_url', async () => {
      assertErrorShape(await fetched(await fetch(`${url}/api/items/%E0%A4%A`)), 400, 'bad_url');
    });

    it('malformed HTTP: 400 bad_request', async () => {
      const answer = await rawSocket(port, 'NOT HTTP AT ALL\r\n\r\n');
      const [head, body] = answer.split('\r\n\r\n') as [string, string];
      assertErrorShape(
        { status: Number(head.split(' ')[1]), contentType: /content-type: ([^\r]+)/i.exec(head)?.[1], body },
        400,
        'bad_request',
      );
    });

    it('dependency down: 503 unavailable names the dependency', async () => {
      const noQueue = await env.startApi('a', { AWS_ENDPOINT_URL: 'http://127.0.0.1:1' });
      try {
        const res = await fetch(`${noQueue.url}/api/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', cookie: await login(noQueue.url, 'q') },
          body: JSON.stringify({ type: 'item.increment', itemId: 'x' }),
        });
        const body = assertErrorShape(await fetched(res), 503, 'unavailable');
        assert.equal(body.dependency, 'queue');
      } finally {
        await noQueue.stop();
      }
    });

    it('during shutdown: 503 shutting_down on a kept-alive connection', async () => {
      const draining = await env.startApi('a');
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        assert.equal((await raw(draining.url, 'GET', '/healthz', { agent })).status, 200);
        draining.api.readiness.draining = true;
        draining.api.shedder.closing = true;
        const res = await raw(draining.url, 'GET', '/api/items/x', { agent });
        assert.equal(res.headers.connection, 'close');
        assertErrorShape(
          { status: res.status, contentType: res.headers['content-type'] as string, body: res.body },
          503,
          'shutting_down',
        );
      } finally {
        agent.destroy();
        await draining.stop();
      }
    });
  });

  describe('logout', () => {
    it('clears the cookie with the attributes it was set with', async () => {
      const mine = await login(url, 'leaver');
      const res = await fetch(`${url}/api/logout`, { method: 'POST', headers: { cookie: mine } });
      assert.equal(res.status, 204);
      const cleared = res.headers.get('set-cookie') ?? '';
      assert.match(cleared, /^sid=;/);
      assert.match(cleared, /Max-Age=0|Expires=Thu, 01 Jan 1970/i);
      assert.match(cleared, /HttpOnly/i);
      assert.match(cleared, /Secure/i);
      assert.match(cleared, /SameSite=Lax/i);
      assert.match(cleared, /Path=\//i);
    });
  });

  it('the api still serves after all of the above', async () => {
    await eventually(async () => (await fetch(`${url}/healthz`)).status === 200);
  });
});
