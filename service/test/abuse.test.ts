import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { json, login, TestEnv, type RunningApi } from './helpers/env.js';
import { integrationSkip } from './helpers/servers.js';

const skip = await integrationSkip();

const me = (url: string, cookie: string) => fetch(`${url}/api/me`, { headers: { cookie } });
const loginAs = (url: string, userId: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ userId }),
  });
const postJob = (url: string, cookie: string | undefined, itemId = 'abuse-item') =>
  fetch(`${url}/api/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify({ type: 'item.increment', itemId }),
  });

describe('abuse limits: sessions per user, login and job rate limits', { skip }, () => {
  let env: TestEnv;
  let api: RunningApi;

  before(async () => {
    env = await TestEnv.create();
    api = await env.startApi('a', {
      SESSION_MAX_PER_USER: '2',
      LOGIN_RATE_LIMIT_PER_MINUTE: '4',
      JOBS_RATE_LIMIT_PER_MINUTE: '2',
      // The test sets X-Forwarded-For as the proxy in front of the task would.
      TRUST_PROXY_HOPS: '1',
      MAX_EVENT_LOOP_DELAY_MS: '0',
    });
  });
  after(async () => {
    await env.cleanup();
  });

  const from = (address: string) => ({ 'x-forwarded-for': address });

  it('POST /api/jobs needs a session', async () => {
    const res = await postJob(api.url, undefined);
    assert.equal(res.status, 401);
    assert.equal((await json(res)).error, 'unauthenticated');
    assert.equal((await postJob(api.url, 'sid=forged.value')).status, 401);
  });

  it('a login ends the session the client already holds', async () => {
    const first = await login(api.url, 'rotating');
    const res = await fetch(`${api.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: first, ...from('10.0.0.1') },
      body: JSON.stringify({ userId: 'rotating' }),
    });
    assert.equal(res.status, 200);
    const second = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
    assert.equal((await me(api.url, first)).status, 401, 'the replaced session is gone');
    assert.equal((await me(api.url, second)).status, 200);
    const index = await env.redis.zrange(`${env.redisPrefix('a')}user-sess:rotating`, 0, -1);
    assert.equal(index.length, 1, "the user's index lists the live session only");
  });

  it('caps sessions per user: a login beyond SESSION_MAX_PER_USER ends the oldest', async () => {
    const cookies: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await loginAs(api.url, 'capped', from(`10.0.1.${i}`));
      assert.equal(res.status, 200);
      cookies.push((res.headers.get('set-cookie') ?? '').split(';')[0] as string);
    }
    const statuses = await Promise.all(cookies.map(async (c) => (await me(api.url, c)).status));
    assert.deepEqual(statuses, [401, 200, 200]);
    const keys = await env.redis.keys(`${env.redisPrefix('a')}sess:*`);
    const users = await Promise.all(keys.map(async (k) => JSON.parse((await env.redis.get(k)) ?? '{}').userId));
    assert.equal(users.filter((u) => u === 'capped').length, 2);
  });

  it('rate limits logins per client address, with 429, Retry-After and a JSON body', async () => {
    for (let i = 0; i < 4; i++) assert.equal((await loginAs(api.url, `many-${i}`, from('192.0.2.7'))).status, 200);
    const limited = await loginAs(api.url, 'many-4', from('192.0.2.7'));
    assert.equal(limited.status, 429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    const body = await json(limited);
    assert.equal(body.error, 'rate_limited');
    assert.match(body.message, /retry in/);
    const keys = await env.redis.keys(`${env.redisPrefix('a')}sess:*`);
    const users = await Promise.all(keys.map(async (k) => JSON.parse((await env.redis.get(k)) ?? '{}').userId));
    assert.ok(!users.includes('many-4'), 'no session for a refused login');
    assert.equal(
      (await loginAs(api.url, 'many-4', from('192.0.2.8'))).status,
      200,
      'another address has its own budget',
    );
  });

  it('rate limits jobs per user, after authentication', async () => {
    const alice = await login(api.url, 'jobs-alice');
    const bob = await login(api.url, 'jobs-bob');
    assert.equal((await postJob(api.url, alice)).status, 202);
    assert.equal((await postJob(api.url, alice)).status, 202);
    const limited = await postJob(api.url, alice);
    assert.equal(limited.status, 429);
    assert.equal((await json(limited)).error, 'rate_limited');
    assert.ok(limited.headers.get('retry-after'));
    assert.equal((await postJob(api.url, bob)).status, 202, 'another user has their own budget');
    assert.equal((await postJob(api.url, undefined)).status, 401, 'no session: refused before counting');
  });
});
