import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';

/**
 * Certificates made for one test run with openssl: two unrelated CAs, a server certificate for
 * 127.0.0.1 signed by the first, and one signed by it for another name.
 */
export interface TestPki {
  readonly dir: string;
  /** PEM file of the CA that signed the server certificates. */
  readonly caFile: string;
  /** PEM file of a CA that signed nothing here. */
  readonly otherCaFile: string;
  readonly server: { key: string; cert: string };
  readonly wrongName: { key: string; cert: string };
  remove(): void;
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'db-tls-'));
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ca = (name: string) =>
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
    );
  const leaf = (name: string, san: string) => {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    );
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    );
    return {
      key: readFileSync(join(dir, `${name}.key`), 'utf8'),
      cert: readFileSync(join(dir, `${name}.pem`), 'utf8'),
    };
  };
  ca('ca');
  ca('other-ca');
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    otherCaFile: join(dir, 'other-ca.pem'),
    server: leaf('server', 'IP:127.0.0.1,DNS:localhost'),
    wrongName: leaf('wrong-name', 'DNS:db.other.example'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// The 8-byte SSLRequest a PostgreSQL client sends before its startup message.
const SSL_REQUEST_CODE = 80877103;

/**
 * The real PostgreSQL behind a TLS endpoint, as RDS with rds.force_ssl=1 is: answers a client's
 * SSLRequest with 'S', completes the handshake with `identity`, and relays the decrypted stream to
 * the server; a client that does not ask for TLS is disconnected. Works on any machine that runs
 * the test PostgreSQL, without changing that server's configuration.
 */
export class TlsPostgres {
  /** Connections whose TLS handshake completed. */
  handshakes = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  static async start(
    target: { host: string; port: number },
    identity: { key: string; cert: string },
  ): Promise<TlsPostgres> {
    let self: TlsPostgres | undefined;
    const server = createServer((client) => self!.serve(client, target, identity));
    self = new TlsPostgres(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  private serve(client: Socket, target: { host: string; port: number }, identity: { key: string; cert: string }): void {
    this.track(client);
    client.once('data', (first: Buffer) => {
      if (first.length !== 8 || first.readInt32BE(4) !== SSL_REQUEST_CODE) {
        client.destroy();
        return;
      }
      client.write('S');
      const secure = new TLSSocket(client, { isServer: true, key: identity.key, cert: identity.cert });
      this.track(secure);
      secure.once('secure', () => {
        this.handshakes++;
        const upstream = connect(target.port, target.host);
        this.track(upstream);
        secure.pipe(upstream).pipe(secure);
        upstream.on('close', () => secure.destroy());
        secure.on('close', () => upstream.destroy());
      });
    });
  }

  private track(socket: Socket | TLSSocket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    // A client that refuses the certificate resets the handshake: expected here.
    socket.on('error', () => socket.destroy());
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
