import { App, Stack } from 'aws-cdk-lib';
import {
  handlerModule,
  InlineCustomResource,
  InlineCustomResourceProps,
} from '../../lib/constructs/inline-custom-resource';
import { FEATURE_FLAGS } from '../helpers';

const EVENT = {
  RequestType: 'Create',
  ResponseURL: 'https://cloudformation-custom-resource-response.s3.amazonaws.com/presigned',
  StackId: 'arn:aws:cloudformation:us-east-1:111111111111:stack/Edge/1',
  RequestId: 'request-1',
  LogicalResourceId: 'Cleanup',
};

/** Runs the function's module on `event` with a fake `fetch`; returns what it PUT to CloudFormation. */
async function answer(handlerSource: string, event: Record<string, unknown>, status = 200) {
  const puts: { url: string; init: { method: string; headers: Record<string, string>; body: string } }[] = [];
  const fetch = async (url: string, init: (typeof puts)[number]['init']) => {
    puts.push({ url, init });
    return { ok: status === 200, status };
  };
  const module = { exports: {} as { handler?: (e: unknown, c: unknown) => Promise<void> } };
  const quiet = { error: () => undefined, log: () => undefined };
  new Function('exports', 'fetch', 'console', handlerModule(handlerSource))(module.exports, fetch, quiet);
  await module.exports.handler!(event, { logStreamName: '2026/12/06/[$LATEST]abc' });
  return puts.map((put) => ({ ...put, body: JSON.parse(put.init.body) }));
}

describe("the inline function's answer to CloudFormation", () => {
  test('reports success with the physical id and data the work returned, by PUT with an empty content type', async () => {
    const [put] = await answer("async () => ({ PhysicalResourceId: 'p-1', Data: { Arn: 'x' } })", EVENT);
    expect(put.url).toBe(EVENT.ResponseURL);
    expect(put.init.method).toBe('PUT');
    expect(put.init.headers).toEqual({ 'content-type': '' });
    expect(put.body).toEqual({
      Status: 'SUCCESS',
      Reason: 'See 2026/12/06/[$LATEST]abc',
      StackId: EVENT.StackId,
      RequestId: 'request-1',
      LogicalResourceId: 'Cleanup',
      PhysicalResourceId: 'p-1',
      Data: { Arn: 'x' },
    });
  });

  test("keeps the resource's physical id when the work returns none", async () => {
    const [put] = await answer('async () => undefined', { ...EVENT, RequestType: 'Delete', PhysicalResourceId: 'p-0' });
    expect(put.body.PhysicalResourceId).toBe('p-0');
  });

  test("reports a throw as FAILED with the error's message", async () => {
    const [put] = await answer(
      "async () => { throw new Error('AccessDenied: route53:ListResourceRecordSets'); }",
      EVENT,
    );
    expect(put.body).toMatchObject({
      Status: 'FAILED',
      Reason: 'AccessDenied: route53:ListResourceRecordSets',
      PhysicalResourceId: 'Cleanup',
    });
  });

  test('fails the invocation, so Lambda retries it, when CloudFormation refuses the answer', async () => {
    await expect(answer('async () => ({})', EVENT, 403)).rejects.toThrow(/CloudFormation refused the answer: 403/);
  });
});

describe('InlineCustomResource validation', () => {
  const build = (props: Partial<InlineCustomResourceProps>) =>
    new InlineCustomResource(new Stack(new App({ context: FEATURE_FLAGS }), 'S'), 'Work', {
      resourceType: 'Custom::Work',
      handlerSource: 'async () => ({})',
      statements: [],
      ...props,
    });

  test('rejects a resource type that is not Custom::<Name>', () => {
    expect(() => build({ resourceType: 'AWS::S3::Bucket' })).toThrow(
      /^S\/Work: resourceType = "AWS::S3::Bucket" must be Custom::<Name>$/,
    );
  });

  test('rejects a handler source larger than CloudFormation takes inline', () => {
    expect(() => build({ handlerSource: `async () => ({ pad: '${'x'.repeat(5000)}' })` })).toThrow(
      /^S\/Work: handlerSource makes \d+ characters of inline code; CloudFormation takes at most 4096$/,
    );
  });
});
