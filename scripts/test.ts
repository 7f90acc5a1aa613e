/**
 * `npm test`: the app's checks (`npm run test:app`: tsc, prettier, jest) and the service's suite
 * (`npm run test:service`, on Node.js 24) side by side, since each leaves a core idle at times.
 * Arguments go to jest alone (`npm test -- test/app.test.ts`); the service's output is shown when
 * it ends. Generated files and snapshots are rewritten by `npm run regen`, not by `npm test -- -u`.
 */
import { spawn } from 'node:child_process';

const args = process.argv.slice(2);
if (args.some((arg) => arg === '-u' || arg === '--updateSnapshot')) {
  console.error('test: to rewrite snapshots and generated docs, run `npm run regen`, then `npm test`');
  process.exit(2);
}

const service = spawn('npm', ['run', 'test:service'], { stdio: ['ignore', 'pipe', 'pipe'] });
const serviceOutput: Buffer[] = [];
service.stdout.on('data', (chunk: Buffer) => serviceOutput.push(chunk));
service.stderr.on('data', (chunk: Buffer) => serviceOutput.push(chunk));
const serviceDone = new Promise<number>((resolve) => service.on('close', (code) => resolve(code ?? 1)));

const app = spawn('npm', ['run', 'test:app', ...(args.length ? ['--', ...args] : [])], { stdio: 'inherit' });
const appDone = new Promise<number>((resolve) => app.on('close', (code) => resolve(code ?? 1)));

// An interrupted run must not leave either suite (or the service's test servers) behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    app.kill(signal);
    service.kill(signal);
  });
}

Promise.all([appDone, serviceDone]).then(([appCode, serviceCode]) => {
  process.stdout.write('\n--- the service (npm run test:service) ---\n');
  process.stdout.write(Buffer.concat(serviceOutput));
  if (appCode !== 0) console.error(`test: the app's checks failed (npm run test:app, exit ${appCode})`);
  if (serviceCode !== 0) console.error(`test: the service's suite failed (npm run test:service, exit ${serviceCode})`);
  process.exitCode = appCode || serviceCode;
});
