/**
 * Container health check for the api (`node dist/healthcheck.js`): exits 0 when GET /healthz
 * answers 200 within 2 s. The slim base image has no curl, and this needs no configuration.
 */
const port = process.env.PORT ?? '8080';
try {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  process.stderr.write(`health check failed: ${(err as Error).message}\n`);
  process.exit(1);
}
