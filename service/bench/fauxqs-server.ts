/**
 * The SNS/SQS emulator in its own process, so the benchmark's load generator does not share
 * an event loop with it. Prints one JSON line with the queue URLs and topic ARN, then serves
 * until SIGTERM.
 */
import { startFauxqs } from 'fauxqs';

const server = await startFauxqs({ port: 0, logger: false });
const dlq = server.createQueue('work-dlq');
const work = server.createQueue('work', {
  attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: '5' }) },
});
const topic = server.createTopic('invalidation-bench');
const remote = server.createQueue('invalidation-remote');
server.subscribe({ topic: 'invalidation-bench', queue: 'invalidation-remote' });
process.stdout.write(
  JSON.stringify({
    address: server.address,
    workQueueUrl: work.queueUrl,
    topicArn: topic.topicArn,
    remoteQueue: remote.queueUrl,
  }) + '\n',
);
// The remote region is not running: keep its queue from growing without bound.
const purge = setInterval(() => server.reset(), 2000);
process.on('SIGTERM', () => {
  clearInterval(purge);
  server.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`fauxqs stop failed: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
});
