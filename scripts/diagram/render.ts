import { COLORS, INK, LINES, STYLE, drawCard, drawLabel, measureCard } from './cards';
import { COLUMN_GAP, COLUMN_WIDTH, LANE_GAP, PAD, ROWS, ROW_GAP, drawColumn, measureColumn } from './column';
import { drawLegend, drawMeshLane, drawReplicationLane } from './lanes';
import { ArchitectureModel } from './model';
import { SvgWriter, arrowMarker } from './svg';

const MARGIN = 30;
const MIN_WIDTH = 1200;
const EDGE_PAD = 16;
const EDGE_MIN_GAP = 120;
const EDGE_CARD_MAX = 250;
const FLOW = LINES.flow;

/** Renders the model as a standalone SVG document; the same model always gives the same bytes. */
export function renderSvg(model: ArchitectureModel): string {
  const columnsWidth = model.regions.length * COLUMN_WIDTH + Math.max(0, model.regions.length - 1) * COLUMN_GAP;
  const width = Math.max(MIN_WIDTH, columnsWidth + 2 * MARGIN);
  const content = width - 2 * MARGIN;
  const svg = new SvgWriter();

  svg.text(MARGIN, MARGIN + 18, model.title, STYLE.title, { fill: INK.text });
  drawLabel(svg, MARGIN, MARGIN + 40, model.subtitle, { maxWidth: content, style: STYLE.subtitle });

  // Edge cards, spread evenly across the Edge group.
  const edgeCards = [model.edge.zone, model.edge.firewall, model.edge.cdn, model.edge.site];
  const edgeInner = content - 2 * EDGE_PAD;
  const edgeCardWidth = Math.min(EDGE_CARD_MAX, (edgeInner - 3 * EDGE_MIN_GAP) / 4);
  const edgeGap = (edgeInner - 4 * edgeCardWidth) / 3;
  const edgeX = edgeCards.map((_, i) => MARGIN + EDGE_PAD + i * (edgeCardWidth + edgeGap));
  const measuredEdge = edgeCards.map((card) => card && measureCard(card, edgeCardWidth));
  const edgeRowHeight = Math.max(...measuredEdge.map((m) => m?.height ?? 0));
  const cdnCenter = edgeX[2] + edgeCardWidth / 2;

  // Users, above the CDN.
  const users = measureCard({ title: 'Users', lines: ['browsers and API clients'], tone: 'neutral' }, 200);
  const usersY = MARGIN + 62;
  drawCard(svg, users, cdnCenter - users.width / 2, usersY, users.height);

  const edgeTop = usersY + users.height + 48;
  const edgeCardsY = edgeTop + 34;
  const edgeBottom = edgeCardsY + edgeRowHeight + EDGE_PAD;
  svg.rect(MARGIN, edgeTop, content, edgeBottom - edgeTop, {
    rx: 10,
    fill: '#fbf8fe',
    stroke: COLORS.edge.stroke,
    'stroke-dasharray': '6 4',
  });
  svg.text(MARGIN + EDGE_PAD, edgeTop + 22, model.edge.label, STYLE.cardTitle, { fill: COLORS.edge.stroke });
  measuredEdge.forEach((m, i) => m && drawCard(svg, m, edgeX[i], edgeCardsY, edgeRowHeight));
  const edgeMidY = edgeCardsY + edgeRowHeight / 2;

  svg.path(
    [
      { x: cdnCenter, y: usersY + users.height },
      { x: cdnCenter, y: edgeCardsY },
    ],
    FLOW,
  );
  drawLabel(svg, cdnCenter + 8, usersY + users.height + 20, model.edge.usersLabel, { maxWidth: content / 2 });
  if (model.edge.firewall && model.edge.cdn) {
    svg.path(
      [
        { x: edgeX[1] + edgeCardWidth, y: edgeMidY },
        { x: edgeX[2], y: edgeMidY },
      ],
      { stroke: COLORS.edge.stroke, 'stroke-width': 1.5, 'stroke-dasharray': '4 3' },
    );
    drawLabel(svg, (edgeX[1] + edgeCardWidth + edgeX[2]) / 2, edgeMidY - 6, 'filters requests', {
      maxWidth: edgeGap - 12,
      anchor: 'middle',
      upward: true,
    });
  }
  if (model.edge.site && model.edge.cdn) {
    svg.path(
      [
        { x: edgeX[2] + edgeCardWidth, y: edgeMidY },
        { x: edgeX[3], y: edgeMidY },
      ],
      FLOW,
    );
    if (model.edge.staticLabel) {
      drawLabel(svg, (edgeX[2] + edgeCardWidth + edgeX[3]) / 2, edgeMidY - 6, model.edge.staticLabel, {
        maxWidth: edgeGap - 16,
        anchor: 'middle',
        upward: true,
      });
    }
  }

  // The latency-routed origin name, across the regions.
  const routingTop = edgeBottom + 60;
  let routingBottom = routingTop;
  if (model.routing) {
    const routing = measureCard(model.routing, content);
    drawCard(svg, routing, MARGIN, routingTop, routing.height);
    routingBottom = routingTop + routing.height;
    svg.path(
      [
        { x: cdnCenter, y: edgeCardsY + edgeRowHeight },
        { x: cdnCenter, y: routingTop },
      ],
      FLOW,
    );
    if (model.edge.dynamicLabel) {
      drawLabel(svg, cdnCenter + 8, edgeBottom + 20, model.edge.dynamicLabel, { maxWidth: content / 2 - 16 });
    }
    if (model.edge.zone) {
      const zoneCenter = edgeX[0] + edgeCardWidth / 2;
      svg.path(
        [
          { x: zoneCenter, y: edgeCardsY + edgeRowHeight },
          { x: zoneCenter, y: routingTop },
        ],
        { stroke: COLORS.edge.stroke, 'stroke-width': 1.5, 'stroke-dasharray': '4 3' },
      );
      drawLabel(svg, zoneCenter + 8, edgeBottom + 20, 'holds the latency records', { maxWidth: edgeGap });
    }
  }

  // Region columns: every row as tall as its tallest card in any region, so lanes line up.
  const columnsTop = routingBottom + 50;
  const columnsX = (width - columnsWidth) / 2;
  const measured = model.regions.map((column) => measureColumn(column));
  const rowHeights = ROWS.map((_, row) => Math.max(...measured.map((m) => m.rows[row])));
  const rowTops = rowHeights.reduce<number[]>(
    (tops, _, i) => [
      ...tops,
      i === 0 ? columnsTop + PAD : tops[i - 1] + rowHeights[i - 1] + (i === 4 ? LANE_GAP : ROW_GAP),
    ],
    [],
  );
  const columnsBottom = rowTops[rowTops.length - 1] + rowHeights[rowHeights.length - 1] + PAD;
  const placed = model.regions.map((column, i) => {
    const x = columnsX + i * (COLUMN_WIDTH + COLUMN_GAP);
    return drawColumn(svg, column, measured[i], x, columnsTop, columnsBottom, rowTops, rowHeights, routingBottom);
  });

  // Lanes between the regions, then what they carry.
  if (model.replication) drawReplicationLane(svg, model.replication, placed, rowTops[4] - LANE_GAP / 2 + 6);
  let y = columnsBottom + 24;
  if (model.invalidation) drawMeshLane(svg, model.invalidation, placed, y);
  y += 8;
  for (const [lane, color] of [
    [model.replication, INK.replication],
    [model.invalidation, INK.mesh],
  ] as const) {
    if (lane) y += drawLabel(svg, width / 2, y + 14, lane.detail, { maxWidth: content, anchor: 'middle', color });
  }

  y = drawLegend(svg, MARGIN, y + 24, content, model.notes);
  const height = y + MARGIN;
  const description = `Generated by scripts/diagram.ts from the synthesized templates: ${model.regions
    .map((r) => `${r.region}${r.primary ? ' (primary)' : ''}`)
    .join(', ')}.`;
  return svg.document(width, height, model.title, description, [
    arrowMarker('arrow-flow', INK.flow),
    arrowMarker('arrow-replication', INK.replication),
    arrowMarker('arrow-mesh', INK.mesh),
  ]);
}
