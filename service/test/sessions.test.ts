import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { json, login, metricSum, putItem, TestEnv, type RunningApi } from './helpers/env.js';
import { integrationSkip } from './helpers/servers.js';

const skip = await integrationSkip();

async function me(url: string, cookie?: string): Promise<Response> {
  return fetch(`${url}/api/me`, { headers: cookie ? { cookie } : {} });
}

describe('sessions in Redis', { skip }, () => {
  let env: TestEnv;
  let t1: RunningApi;
  let t2: RunningApi;

  before(async () => {
    env = await TestEnv.create();
    t1 = await env.startApi('a');
    t2 = await env.startApi('a');
  });
  after(async () => {
    await env.cleanup();
  });

  it('a session created on one task is served, used and ended on another', async () => {
    const res = await fetch(`${t1.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"userId":"alice"}',
    });
    assert.equal(res.status, 200);
    const setCookie = res.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^sid=[^;]+;/);
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /SameSite=Lax/i);
    const cookie = setCookie.split(';')[0] as string;

    const onT2 = await me(t2.url, cookie);
    assert.equal(onT2.status, 200);
    assert.equal((await json(onT2)).userId, 'alice');
    assert.equal((await putItem(t2.url, cookie, 's-1', { name: 'by alice' })).status, 200);
    assert.equal((await json(await fetch(`${t1.url}/api/items/s-1`))).updatedBy, 'alice');

    assert.equal((await fetch(`${t2.url}/api/logout`, { method: 'POST', headers: { cookie } })).status, 204);
    assert.equal((await me(t1.url, cookie)).status, 401, 'logged out everywhere');
    assert.equal((await putItem(t1.url, cookie, 's-1', { name: 'x' })).status, 401);
  });

  it('keeps nothing in process memory: the session is a Redis key with a TTL', async () => {
    const cookie = await login(t1.url, 'bob');
    const keys = await env.redis.keys(`${env.redisPrefix('a')}sess:*`);
    assert.equal(keys.length, 1);
    const ttl = await env.redis.ttl(keys[0] as string);
    assert.ok(ttl > 86000 && ttl <= 86400, `ttl ${ttl}`);
    assert.equal((await me(t2.url, cookie)).status, 200);
  });

  it('rejects tampered, unsigned and missing cookies', async () => {
    const cookie = await login(t1.url, 'carol');
    const [name, value] = cookie.split('=') as [string, string];
    const sid = decodeURIComponent(value).split('.')[0] as string;
    assert.equal((await me(t1.url)).status, 401);
    assert.equal((await me(t1.url, `${name}=${sid}`)).status, 401, 'unsigned id');
    assert.equal((await me(t1.url, `${name}=${sid}.forged`)).status, 401, 'bad signature');
    assert.equal((await putItem(t1.url, '', 's-2', { name: 'x' })).status, 401);
  });

  it('accepts cookies signed with the previous secret during a rotation, and re-signs them', async () => {
    const old = await login(t1.url, 'dave');
    const rotated = await env.startApi('a', {
      SESSION_SECRET: 'new-secret-new-secret-new-secret-0123456',
      SESSION_SECRET_PREVIOUS: env.rawEnv('a').SESSION_SECRET as string,
    });
    try {
      const res = await me(rotated.url, old);
      assert.equal(res.status, 200);
      const renewed = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
      assert.ok(renewed.startsWith('sid=') && renewed !== old, 'cookie re-signed with the new secret');
      assert.equal((await me(rotated.url, renewed)).status, 200);
      assert.equal((await me(t1.url, renewed)).status, 401, 'tasks still on the old secret reject the new signature');
    } finally {
      await rotated.stop();
    }
  });

  it('counts daily active users with a HyperLogLog shared by all tasks', async () => {
    await login(t1.url, 'erin');
    await login(t2.url, 'erin');
    await login(t2.url, 'frank');
    await t1.api.core.metrics.flush();
    // alice, bob, carol, dave, erin, frank
    assert.equal(metricSum(t1.metricLines, 'DailyActiveUsers'), 6);
  });

  it('counts returning users: active today and on one of the 7 days before, not earlier', async () => {
    const { ActiveUsers } = await import('../src/sessions.js');
    const core = t1.api.core;
    const users = new ActiveUsers(core.redis, `returning-${Date.now()}:`, core.metrics, core.log);
    const now = new Date('2026-03-10T12:00:00Z');
    const daysAgo = (n: number) => users.key(new Date(now.getTime() - n * 86400_000));
    await core.redis.pfadd(users.key(now), 'ann', 'ben', 'cat', 'dan');
    await core.redis.pfadd(daysAgo(1), 'ann');
    await core.redis.pfadd(daysAgo(7), 'ben', 'eve');
    await core.redis.pfadd(daysAgo(8), 'cat');
    // ann (yesterday) and ben (a week ago) return; cat was last seen 8 days ago, dan is new.
    assert.equal(await users.returning(now), 2);
    await t1.api.core.metrics.flush();
    assert.ok(
      t1.metricLines.some((line) => line.includes('"ReturningUsers7d"')),
      'the api reports ReturningUsers7d beside DailyActiveUsers',
    );
  });

  it('validates the login body', async () => {
    const res = await fetch(`${t1.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"userId":"bad user"}',
    });
    assert.equal(res.status, 400);
    assert.equal((await json(res)).error, 'invalid_request');
  });
});
