import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ProbeTarget } from './config.js';

export interface ProbeResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One request to a region's origin. With `connectHost` the connection goes to that host (the
 * region's own record) while the Host header, the TLS server name and the certificate check use
 * the url's host (the latency-routed origin name the certificate is for): pinned to one region,
 * through the same listener rule and certificate as CloudFront's requests.
 */
export function send(
  target: ProbeTarget,
  method: 'GET' | 'PUT' | 'POST',
  path: string,
  options: { headers?: Record<string, string>; body?: unknown; timeoutMs: number },
): Promise<ProbeResponse> {
  const url = new URL(path, target.url);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { host: url.host, ...options.headers };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method,
        hostname: target.connectHost ?? url.hostname,
        port: url.port || undefined,
        path: url.pathname + url.search,
        headers,
        servername: url.hostname,
        signal: AbortSignal.timeout(options.timeoutMs),
        // A fresh connection per request: each poll measures the region as a new client sees it.
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
