/**
 * The consistency probe (`node dist/probe.js`), a scheduled one-off task in every serving region:
 * one run writes this region's marker through its origin and measures when every region reads
 * the new version (docs/decisions/0013). Prints one EMF line per (writer → reader) pair and
 * exits 0 whatever it measured; 1 only when it cannot start (bad environment, no secret).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from './config.js';
import { createLogger } from './log.js';
import { loadProbeConfig, type ProbeConfig } from './probe/config.js';
import { probeMetricLines, runProbe } from './probe/run.js';

let config: ProbeConfig;
try {
  config = loadProbeConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`invalid configuration: ${err.message.replace(/\s+/g, ' ')}\n`);
  process.exit(1);
}
const log = createLogger(config.logLevel, 'consistency-probe');

async function originVerifyValue(): Promise<string | undefined> {
  const { value, secretId } = config.originVerify;
  if (value || !secretId) return value;
  // This region's replica of the shared secret the ALBs check (decision 5).
  const client = new SecretsManagerClient({ region: process.env.AWS_REGION });
  try {
    const res = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!res.SecretString) throw new Error(`secret ${secretId} has no string value`);
    return res.SecretString;
  } finally {
    client.destroy();
  }
}

try {
  const results = await runProbe(config, { originVerifyValue: await originVerifyValue(), log });
  for (const line of probeMetricLines(results, config.namespace)) process.stdout.write(`${line}\n`);
  log.info({ results: results.map((r) => `${r.writer}->${r.reader}:${r.outcome}`) }, 'probe run done');
} catch (err) {
  log.fatal({ err }, 'probe run failed');
  process.exit(1);
}
