import { Card, Tone } from './model';
import { Attributes, SvgWriter, TextStyle, textWidth, wrap } from './svg';

export const STYLE = {
  title: { size: 20, bold: true },
  subtitle: { size: 12 },
  cardTitle: { size: 12.5, bold: true },
  cardLine: { size: 11 },
  label: { size: 10.5 },
  region: { size: 17, bold: true },
  badge: { size: 10, bold: true },
} satisfies Record<string, TextStyle>;

export const COLORS: Record<Tone, { readonly fill: string; readonly stroke: string }> = {
  edge: { fill: '#f3ecfb', stroke: '#7e57c2' },
  service: { fill: '#e3eefc', stroke: '#1e63b5' },
  data: { fill: '#e5f4e8', stroke: '#2e7d32' },
  neutral: { fill: '#f5f5f5', stroke: '#757575' },
};

export const INK = { text: '#1a1a1a', muted: '#505050', flow: '#455a64', replication: '#00796b', mesh: '#e65100' };

/** Line styles: requests and data, Aurora replication, invalidation events. */
export const LINES = {
  flow: { stroke: INK.flow, 'stroke-width': 1.5, 'marker-end': 'url(#arrow-flow)' },
  replication: { stroke: INK.replication, 'stroke-width': 2.5 },
  mesh: { stroke: INK.mesh, 'stroke-width': 2, 'stroke-dasharray': '6 4' },
} satisfies Record<string, Attributes>;

const PAD_X = 10;
const PAD_Y = 8;
const TITLE_LINE = 16;
const BODY_LINE = 14;

/** A card wrapped to a width: its lines and the height they need. */
export interface MeasuredCard {
  readonly card: Card;
  readonly width: number;
  readonly titleLines: readonly string[];
  readonly bodyLines: readonly string[];
  readonly height: number;
}

export function measureCard(card: Card, width: number): MeasuredCard {
  const inner = width - 2 * PAD_X;
  const titleLines = wrap(card.title, STYLE.cardTitle, inner);
  const bodyLines = card.lines.flatMap((line) => wrap(line, STYLE.cardLine, inner));
  const height = 2 * PAD_Y + titleLines.length * TITLE_LINE + bodyLines.length * BODY_LINE + 2;
  return { card, width, titleLines, bodyLines, height };
}

/** Draws a measured card at (x, y), stretched to `height` so a row's cards line up. */
export function drawCard(svg: SvgWriter, measured: MeasuredCard, x: number, y: number, height: number): void {
  const { fill, stroke } = COLORS[measured.card.tone];
  svg.rect(x, y, measured.width, height, { rx: 6, fill, stroke, 'stroke-width': 1.2 });
  let baseline = y + PAD_Y + 12;
  for (const line of measured.titleLines) {
    svg.text(x + PAD_X, baseline, line, STYLE.cardTitle, { fill: INK.text });
    baseline += TITLE_LINE;
  }
  baseline -= 2;
  for (const line of measured.bodyLines) {
    svg.text(x + PAD_X, baseline, line, STYLE.cardLine, { fill: INK.muted });
    baseline += BODY_LINE;
  }
}

export type Anchor = 'start' | 'middle' | 'end';

/**
 * A free-standing label of one or more lines, wrapped to `maxWidth`; `y` is the first
 * baseline, or the last one when `upward` (a label sitting on top of a line). Returns the
 * height used.
 */
export function drawLabel(
  svg: SvgWriter,
  x: number,
  y: number,
  text: string,
  options: { maxWidth: number; anchor?: Anchor; upward?: boolean; style?: TextStyle; color?: string },
): number {
  const style = options.style ?? STYLE.label;
  const lineHeight = style.size * 1.3;
  const lines = wrap(text, style, options.maxWidth);
  const first = options.upward ? y - (lines.length - 1) * lineHeight : y;
  lines.forEach((line, index) =>
    svg.text(x, first + index * lineHeight, line, style, {
      fill: options.color ?? INK.muted,
      'text-anchor': options.anchor && options.anchor !== 'start' ? options.anchor : undefined,
    }),
  );
  return lines.length * lineHeight;
}

/** A pill with `text`, filled or outlined; returns its width. */
export function drawBadge(svg: SvgWriter, x: number, y: number, text: string, filled: boolean, color: string): number {
  const width = textWidth(text, STYLE.badge) + 14;
  svg.rect(x, y, width, 19, {
    rx: 9.5,
    fill: filled ? color : '#ffffff',
    stroke: color,
    'stroke-width': 1.2,
  });
  svg.text(x + 7, y + 13.5, text, STYLE.badge, { fill: filled ? '#ffffff' : color });
  return width;
}
