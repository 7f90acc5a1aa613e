import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from '../config.js';

interface ClientOptions {
  /** Must exceed the long-poll wait for receive clients. */
  requestTimeoutMs: number;
  maxAttempts: number;
}

function common(config: Config, options: ClientOptions) {
  return {
    region: config.AWS_REGION,
    // Only set for emulators; in AWS the SDK resolves the regional endpoint (and also honours
    // AWS_ENDPOINT_URL on its own, this just makes it explicit per client).
    ...(config.AWS_ENDPOINT_URL ? { endpoint: config.AWS_ENDPOINT_URL } : {}),
    maxAttempts: options.maxAttempts,
    requestHandler: { connectionTimeout: 1000, requestTimeout: options.requestTimeoutMs },
  };
}

export function createSqsClient(config: Config, options: ClientOptions): SQSClient {
  return new SQSClient(common(config, options));
}

export function createSnsClient(config: Config, options: ClientOptions): SNSClient {
  return new SNSClient(common(config, options));
}
