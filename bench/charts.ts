/**
 * The SVG charts `npm run bench` writes next to its JSON result (docs/benchmarks.md shows them):
 * plain SVG strings, no dependency, readable on a light or a dark page.
 */

export interface Series {
  label: string;
  /** [x, y] in the chart's units. */
  points: [number, number][];
}

const WIDTH = 720;
const HEIGHT = 360;
const MARGIN = { top: 36, right: 20, bottom: 48, left: 64 };
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];

/** A round step (1, 2 or 5 × a power of ten) giving about `count` ticks up to `max`. */
function tickStep(max: number, count: number): number {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= raw);
  return step ?? 10 * power;
}

function xmlText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function number(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** A line chart of every series on shared axes starting at 0. */
export function lineChart(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}): string {
  const points = options.series.flatMap((series) => series.points);
  const xMax = Math.max(1e-9, ...points.map(([x]) => x));
  const yMax = Math.max(1e-9, ...points.map(([, y]) => y)) * 1.05;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const tenth = (value: number) => Math.round(value * 10) / 10;
  const x = (value: number) => tenth(MARGIN.left + (value / xMax) * plotWidth);
  const y = (value: number) => tenth(MARGIN.top + plotHeight - (value / yMax) * plotHeight);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<title>${xmlText(options.title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14">${xmlText(options.title)}</text>`,
  ];
  const xStep = tickStep(xMax, 8);
  for (let tick = 0; tick <= xMax + 1e-9; tick += xStep) {
    parts.push(
      `<line x1="${x(tick)}" y1="${MARGIN.top}" x2="${x(tick)}" y2="${MARGIN.top + plotHeight}" stroke="#ddd"/>`,
      `<text x="${x(tick)}" y="${MARGIN.top + plotHeight + 16}" text-anchor="middle">${number(tick)}</text>`,
    );
  }
  const yStep = tickStep(yMax, 6);
  for (let tick = 0; tick <= yMax + 1e-9; tick += yStep) {
    parts.push(
      `<line x1="${MARGIN.left}" y1="${y(tick)}" x2="${MARGIN.left + plotWidth}" y2="${y(tick)}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${y(tick) + 4}" text-anchor="end">${number(tick)}</text>`,
    );
  }
  parts.push(
    `<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 10}" text-anchor="middle">${xmlText(options.xLabel)}</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${xmlText(options.yLabel)}</text>`,
  );
  options.series.forEach((series, index) => {
    const colour = COLOURS[index % COLOURS.length];
    const path = series.points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(" ");
    parts.push(
      `<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="1.5"/>`,
      `<rect x="${MARGIN.left + 10}" y="${MARGIN.top + 8 + index * 16}" width="12" height="3" fill="${colour}"/>`,
      `<text x="${MARGIN.left + 28}" y="${MARGIN.top + 13 + index * 16}">${xmlText(series.label)}</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
