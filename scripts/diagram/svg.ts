/**
 * Just enough SVG for the architecture diagram: text measured without a font engine, word
 * wrapping, and an element writer whose output is the same byte for byte on every machine
 * (fixed attribute order, coordinates rounded, nothing time- or environment-dependent).
 */

export const FONT_FAMILY = 'sans-serif';

/**
 * Advance widths (1/1000 em) of DejaVu Sans, the widest common sans-serif: text measured with
 * them fits wherever a viewer substitutes Helvetica, Arial or Liberation Sans. Printable ASCII
 * (32–126), then `·–—→←×…`; anything else counts as the widest glyph.
 */
const GLYPHS =
  ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~·–—→←×…';
const REGULAR =
  '318,401,460,838,636,950,780,275,390,390,500,838,318,361,318,337,636,636,636,636,636,636,636,636,636,636,337,337,838,838,838,531,1000,684,686,698,770,632,575,775,752,295,295,656,557,863,748,787,603,787,695,635,611,732,684,989,685,611,685,390,337,390,838,500,500,613,635,550,635,615,352,635,634,278,278,579,278,974,634,612,635,635,411,521,392,634,592,818,592,592,525,636,337,636,838,318,500,1000,838,838,838,1000';
const BOLD =
  '348,456,521,838,696,1002,872,306,457,457,523,838,380,415,380,365,696,696,696,696,696,696,696,696,696,696,400,400,838,838,838,580,1000,774,762,734,830,683,683,821,837,372,372,775,637,995,837,850,733,850,770,720,682,812,774,1103,771,724,725,457,365,457,838,500,500,675,716,593,716,678,435,716,712,343,343,665,343,1042,712,687,716,716,493,595,478,712,652,924,645,652,582,712,365,712,838,380,500,1000,838,838,838,1000';

const table = (widths: string) => {
  const values = widths.split(',').map(Number);
  return new Map([...GLYPHS].map((glyph, index) => [glyph, values[index]]));
};
const WIDTHS = { regular: table(REGULAR), bold: table(BOLD) };

export interface TextStyle {
  readonly size: number;
  readonly bold?: boolean;
}

/** Width in pixels of `text` set in `style`. */
export function textWidth(text: string, style: TextStyle): number {
  const widths = style.bold ? WIDTHS.bold : WIDTHS.regular;
  let units = 0;
  for (const glyph of text) units += widths.get(glyph) ?? 1000;
  return (units * style.size) / 1000;
}

/**
 * Breaks `text` into lines no wider than `maxWidth`, at spaces; a word too long for a line of
 * its own breaks after its hyphens (`blueprint-invalidation-` / `us-east-1`), or is cut.
 */
export function wrap(text: string, style: TextStyle, maxWidth: number): string[] {
  const fits = (candidate: string) => textWidth(candidate, style) <= maxWidth;
  // Each piece is glued to the one before it with a space, or with nothing inside a long word.
  const pieces = text
    .split(' ')
    .flatMap((word) =>
      fits(word)
        ? [{ text: word, space: true }]
        : splitWord(word, fits).map((part, i) => ({ text: part, space: i === 0 })),
    );
  const lines: string[] = [];
  let line = '';
  for (const piece of pieces) {
    const candidate = line === '' ? piece.text : `${line}${piece.space ? ' ' : ''}${piece.text}`;
    if (fits(candidate) || line === '') line = candidate;
    else {
      lines.push(line);
      line = piece.text;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/**
 * A word too long for a line, in parts: two halves split at the hyphen that keeps the longer
 * half shortest (`blueprint-invalidation-` / `us-east-1`), else its parts after each hyphen, any
 * part still too long cut to fit.
 */
function splitWord(word: string, fits: (text: string) => boolean): string[] {
  const parts = word.split(/(?<=-)/);
  const halves = parts
    .slice(1)
    .map((_, i) => [parts.slice(0, i + 1).join(''), parts.slice(i + 1).join('')])
    .filter((pair) => pair.every(fits))
    .sort((a, b) => Math.max(...a.map((h) => h.length)) - Math.max(...b.map((h) => h.length)));
  if (halves.length) return halves[0];
  return parts.flatMap((part) => {
    const cuts: string[] = [];
    let rest = part;
    while (!fits(rest) && rest.length > 1) {
      let cut = rest.length - 1;
      while (cut > 1 && !fits(rest.slice(0, cut))) cut--;
      cuts.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    return [...cuts, rest];
  });
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
export const escapeXml = (text: string) => text.replace(/[&<>"]/g, (c) => ESCAPES[c]);

/** A coordinate as written: at most one decimal, no `-0`. */
const num = (value: number) => {
  const rounded = Math.round(value * 10) / 10;
  return String(rounded === 0 ? 0 : rounded);
};

export type Attributes = Record<string, string | number | undefined>;

function attributes(attrs: Attributes): string {
  return Object.entries(attrs)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${typeof value === 'number' ? num(value) : escapeXml(value)}"`)
    .join('');
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Collects elements in drawing order and writes the document. */
export class SvgWriter {
  private readonly body: string[] = [];

  constructor(private readonly indent = '  ') {}

  element(name: string, attrs: Attributes, text?: string): void {
    this.body.push(
      text === undefined
        ? `${this.indent}<${name}${attributes(attrs)}/>`
        : `${this.indent}<${name}${attributes(attrs)}>${escapeXml(text)}</${name}>`,
    );
  }

  open(name: string, attrs: Attributes): void {
    this.body.push(`${this.indent}<${name}${attributes(attrs)}>`);
  }

  close(name: string): void {
    this.body.push(`${this.indent}</${name}>`);
  }

  comment(text: string): void {
    this.body.push(`${this.indent}<!-- ${text.replace(/--/g, '- -')} -->`);
  }

  rect(x: number, y: number, width: number, height: number, attrs: Attributes = {}): void {
    this.element('rect', { x, y, width, height, ...attrs });
  }

  text(x: number, y: number, text: string, style: TextStyle, attrs: Attributes = {}): void {
    this.element(
      'text',
      { x, y, 'font-size': style.size, 'font-weight': style.bold ? 'bold' : undefined, ...attrs },
      text,
    );
  }

  /** An open polyline through `points`. */
  path(points: readonly Point[], attrs: Attributes = {}): void {
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${num(p.x)},${num(p.y)}`).join(' ');
    this.element('path', { d, fill: 'none', ...attrs });
  }

  /** The whole document: a white page of `width` × `height` with `defs` and the elements. */
  document(width: number, height: number, title: string, description: string, defs: readonly string[]): string {
    return [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" viewBox="0 0 ${num(width)} ${num(height)}" font-family="${FONT_FAMILY}">`,
      `  <title>${escapeXml(title)}</title>`,
      `  <desc>${escapeXml(description)}</desc>`,
      '  <defs>',
      ...defs.map((def) => `    ${def}`),
      '  </defs>',
      `  <rect x="0" y="0" width="${num(width)}" height="${num(height)}" fill="#ffffff"/>`,
      ...this.body,
      '</svg>',
      '',
    ].join('\n');
  }
}

/** An arrowhead marker filled with `color`, for `marker-end="url(#id)"`. */
export function arrowMarker(id: string, color: string): string {
  return `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${color}"/></marker>`;
}
