import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../lib/config';
import { ScriptError, commandLine, failureLine } from '../../scripts/common/cli';
import { replaceSection, sectionOf, writeOrCheck } from '../../scripts/common/generated';

const USAGE = 'npm run tool -- [--write] [-c key=value ...]';

describe('the command line every script reads', () => {
  test('takes -c and --context as cdk does, repeated, with = inside values', () => {
    const { values, context } = commandLine(
      ['-c', 'profile=dev', '--context', 'tags={"a":"b=c"}', '--context=x=1', '--write'],
      USAGE,
      { write: { type: 'boolean' } },
    );
    expect(values).toEqual({ write: true });
    expect(context).toEqual({ profile: 'dev', tags: '{"a":"b=c"}', x: '1' });
  });

  test.each([
    [['--profile', 'dev'], /^unknown option --profile \(usage: npm run tool -- /],
    [['-c'], /argument missing/],
    [['-c', 'profile'], /^-c profile: expected key=value \(usage: /],
    [['-c', '=x'], /^-c =x: expected key=value/],
    [['stray'], /^Unexpected argument 'stray'/],
  ])('%j is a usage error that shows the usage', (argv, message) => {
    expect(() => commandLine(argv, USAGE, { write: { type: 'boolean' } })).toThrow(ScriptError);
    expect(() => commandLine(argv, USAGE, { write: { type: 'boolean' } })).toThrow(message);
  });

  test('an expected failure is one line naming the tool; a bug has none, so its stack trace shows', () => {
    expect(failureLine('cost', new ScriptError('prices/aws-prices.json is missing'))).toBe(
      'cost: prices/aws-prices.json is missing',
    );
    expect(failureLine('rto', new ConfigError('regions', 'x', 'an AWS region', 'is not one'))).toMatch(/^rto: regions/);
    expect(failureLine('rto', new TypeError('x is undefined'))).toBeUndefined();
  });
});

describe('generated files and sections', () => {
  const dir = mkdtempSync(join(tmpdir(), 'generated-'));
  beforeAll(() => jest.spyOn(console, 'log').mockImplementation(() => undefined));

  test('--check passes on the committed copy and fails, saying what to run, on a stale one', () => {
    const file = join(dir, 'picture.svg');
    const options = { shown: 'picture.svg', command: 'npm run diagram' };
    writeOrCheck(file, 'new', { ...options, check: false });
    expect(readFileSync(file, 'utf-8')).toBe('new');
    expect(() => writeOrCheck(file, 'new', { ...options, check: true })).not.toThrow();
    writeFileSync(file, 'old');
    expect(() => writeOrCheck(file, 'new', { ...options, check: true })).toThrow(
      'picture.svg is stale: run `npm run diagram` and commit the result',
    );
  });

  test('a section is replaced between its markers, and a document without them is an error naming it', () => {
    const markers = { start: '<!-- x:start -->', end: '<!-- x:end -->' };
    const doc = 'intro\n<!-- x:start -->\nold\n<!-- x:end -->\nrest\n';
    const updated = replaceSection(doc, markers, '\nnew\n', 'docs/x.md');
    expect(updated).toBe('intro\n<!-- x:start -->\nnew\n<!-- x:end -->\nrest\n');
    expect(sectionOf(updated, markers)).toBe('\nnew\n');
    expect(sectionOf('intro', markers)).toBeUndefined();
    expect(() => replaceSection('intro', markers, 'new', 'docs/x.md')).toThrow(
      /^docs\/x\.md has no <!-- x:start --> line followed by a <!-- x:end --> line: add the two lines/,
    );
  });
});
