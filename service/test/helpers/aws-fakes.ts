import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';

type GetSecretValueBody = { SecretId?: string; VersionStage?: string };

/** A stand-in for the Secrets Manager endpoint speaking the AWS JSON 1.1 protocol of GetSecretValue. */
export class FakeSecretsManager {
  readonly requests: Array<{ target: string | undefined; signed: boolean; body: GetSecretValueBody }> = [];
  /** Each secret's AWSCURRENT SecretString, by ARN. */
  readonly secrets = new Map<string, string>();
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        const parsed = JSON.parse(body || '{}') as GetSecretValueBody;
        const target = req.headers['x-amz-target'] as string | undefined;
        this.requests.push({
          target,
          signed: /^AWS4-HMAC-SHA256 /.test(req.headers.authorization ?? ''),
          body: parsed,
        });
        const reply = (status: number, payload: unknown) => {
          res.writeHead(status, {
            'content-type': 'application/x-amz-json-1.1',
            'x-amzn-requestid': '00000000-0000-0000-0000-000000000000',
          });
          res.end(JSON.stringify(payload));
        };
        if (target !== 'secretsmanager.GetSecretValue')
          return reply(400, { __type: 'UnknownOperationException', message: `unknown ${target}` });
        const secret = parsed.SecretId === undefined ? undefined : this.secrets.get(parsed.SecretId);
        if (secret === undefined)
          return reply(400, {
            __type: 'ResourceNotFoundException',
            message: "Secrets Manager can't find the specified secret.",
          });
        reply(200, {
          ARN: parsed.SecretId,
          Name: 'app/shard-0/master',
          VersionId: '8d4bd5a1-0000-4000-8000-000000000001',
          SecretString: secret,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: 1767225600,
        });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.server?.close((err) => (err ? reject(err) : resolve())));
  }
}

/**
 * A PostgreSQL server that checks passwords, which the test PostgreSQL (trust auth) does not: it
 * asks for a cleartext password (as RDS does for an IAM token), refuses one that `accept` rejects
 * with SQLSTATE 28P01, and answers every query with an empty result.
 */
export class PasswordCheckingServer {
  /** Each login: the user of the startup message and the password sent. */
  readonly logins: Array<{ user: string; password: string }> = [];
  accept: (password: string) => boolean = () => true;
  private server: TcpServer | undefined;
  private readonly sockets = new Set<Socket>();

  async start(): Promise<number> {
    this.server = createTcpServer((socket) => this.serve(socket));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const message = (type: string, body: Buffer) => {
      const header = Buffer.alloc(5);
      header.write(type, 0, 'latin1');
      header.writeInt32BE(body.length + 4, 1);
      return Buffer.concat([header, body]);
    };
    const int32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(n);
      return b;
    };
    const readyForQuery = message('Z', Buffer.from('I'));
    let buffer = Buffer.alloc(0);
    let user = '';
    let started = false;
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          // The startup message: length, protocol, then NUL-terminated key/value pairs; no type byte.
          if (buffer.length < 4 || buffer.length < buffer.readInt32BE(0)) return;
          const params = buffer.subarray(8, buffer.readInt32BE(0)).toString('utf8').split('\0');
          user = params[params.indexOf('user') + 1] ?? '';
          buffer = buffer.subarray(buffer.readInt32BE(0));
          started = true;
          socket.write(message('R', int32(3))); // AuthenticationCleartextPassword
          continue;
        }
        if (buffer.length < 5 || buffer.length < 1 + buffer.readInt32BE(1)) return;
        const type = String.fromCharCode(buffer[0]!);
        const body = buffer.subarray(5, 1 + buffer.readInt32BE(1));
        buffer = buffer.subarray(1 + buffer.readInt32BE(1));
        if (type === 'p') {
          const password = body.subarray(0, body.length - 1).toString('utf8');
          this.logins.push({ user, password });
          if (!this.accept(password)) {
            socket.end(
              message('E', Buffer.from(`SFATAL\0VFATAL\0C28P01\0MPAM authentication failed for user "${user}"\0\0`)),
            );
            return;
          }
          socket.write(Buffer.concat([message('R', int32(0)), readyForQuery])); // AuthenticationOk
        } else if (type === 'Q') {
          socket.write(Buffer.concat([message('C', Buffer.from('SELECT 0\0')), readyForQuery]));
        } else if (type === 'X') {
          socket.end();
          return;
        }
      }
    });
  }
}
