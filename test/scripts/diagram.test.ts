import { renderArchitecture } from '../../scripts/diagram/index';

// The app drawn is the test fixture's (test/helpers.ts), not cdk.json's: whether the committed
// picture is current is checked on the live cdk.json, in test/this-app.test.ts.
jest.mock('../../scripts/common/assembly', () => ({
  ...jest.requireActual('../../scripts/common/assembly'),
  cdkContext: jest.requireActual('../helpers').contextWith,
}));

/** What a strict XML parser would reject: stray `<` or `&`, unbalanced or duplicated tags, several roots. */
function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const open: string[] = [];
  const attribute = /\s+([A-Za-z_:][\w:.-]*)="([^"<]*)"/g;
  const tag = /^<(\/?)([A-Za-z][\w:.-]*)((?:\s+[A-Za-z_:][\w:.-]*="[^"<]*")*)\s*(\/?)>/;
  let roots = 0;
  let at = 0;
  while ((at = xml.indexOf('<', at)) !== -1) {
    if (xml.startsWith('<!--', at)) {
      const end = xml.indexOf('-->', at + 4);
      if (end < 0 || xml.slice(at + 4, end).includes('--')) problems.push(`bad comment at ${at}`);
      at = end < 0 ? xml.length : end + 3;
      continue;
    }
    const match = tag.exec(xml.slice(at));
    if (!match) {
      problems.push(`malformed tag at ${at}: ${xml.slice(at, at + 60)}`);
      break;
    }
    const [text, closing, name, attrs, selfClosing] = match;
    const names = [...attrs.matchAll(attribute)].map((m) => m[1]);
    if (new Set(names).size !== names.length) problems.push(`duplicate attribute in <${name}> at ${at}`);
    if (closing) {
      const expected = open.pop();
      if (expected !== name) problems.push(`</${name}> at ${at} closes <${expected}>`);
    } else {
      if (open.length === 0) roots++;
      if (!selfClosing) open.push(name);
    }
    at += text.length;
  }
  const strayAmpersand = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.exec(xml);
  if (strayAmpersand) problems.push(`unescaped & at ${strayAmpersand.index}`);
  if (open.length) problems.push(`unclosed ${open.map((name) => `<${name}>`).join(', ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

const regionColumns = (svg: string) => [...svg.matchAll(/<g id="region-([a-z0-9-]+)">/g)].map((m) => m[1]);

describe('architecture diagram', () => {
  let defaultApp: string;
  let twoRegions: string;

  beforeAll(() => {
    defaultApp = renderArchitecture();
    twoRegions = renderArchitecture({ regions: 'us-east-1,eu-west-1' });
  });

  test('the default app is drawn with one column per region of the prod profile, the first primary', () => {
    expect(regionColumns(defaultApp)).toEqual(['us-east-1', 'eu-west-1', 'ap-northeast-2']);
    expect(defaultApp.match(/PRIMARY · WRITERS/g)).toHaveLength(1);
  });

  test('a two-region config draws two region columns, replicated from the primary', () => {
    // GIVEN -c regions=us-east-1,eu-west-1 THEN two columns, one Aurora replication target
    expect(regionColumns(twoRegions)).toEqual(['us-east-1', 'eu-west-1']);
    expect(twoRegions).toContain("replicate the shards' storage from us-east-1 to eu-west-1");
    expect(twoRegions).toContain('2 latency records');
  });

  test('counts come from the templates: shards, NAT gateways and task bounds', () => {
    expect(defaultApp).toContain('Aurora PostgreSQL');
    expect(defaultApp).toContain('· 2 shards');
    expect(defaultApp).toContain('· 3 NAT');
    expect(defaultApp).toContain('2–20 tasks');
  });

  test.each([
    ['default app', () => defaultApp],
    ['two regions', () => twoRegions],
  ])('the %s picture is well-formed XML with no timestamps', (_, svg) => {
    expect(xmlProblems(svg())).toEqual([]);
    expect(svg()).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg()).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:/);
  });

  test('the checker itself rejects broken XML', () => {
    expect(xmlProblems('<svg><g></svg>')).not.toEqual([]);
    expect(xmlProblems('<svg><text>a & b</text></svg>')).not.toEqual([]);
    expect(xmlProblems('<svg x="1" x="2"/>')).not.toEqual([]);
  });
});
