import assert from "node:assert/strict";
import { test } from "node:test";
import { lineChart } from "../../bench/charts.js";

test("a line chart draws one polyline and one legend entry per series", () => {
  const svg = lineChart({
    title: "RSS",
    xLabel: "seconds",
    yLabel: "MiB",
    series: [
      {
        label: "bare grpc-js",
        points: [
          [0, 58],
          [1, 90],
        ],
      },
      {
        label: "ballast node",
        points: [
          [0, 63],
          [1, 88],
        ],
      },
    ],
  });

  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal(svg.match(/<polyline /g)?.length, 2);
  assert.match(svg, />bare grpc-js</);
  assert.match(svg, />ballast node</);
  assert.match(svg, /<\/svg>\n$/);
});

test("the highest point sits below the top of the plot and x runs to the last point", () => {
  const svg = lineChart({
    title: "t",
    xLabel: "x",
    yLabel: "y",
    series: [
      {
        label: "s",
        points: [
          [0, 0],
          [10, 100],
        ],
      },
    ],
  });

  const points = /<polyline points="([^"]+)"/.exec(svg)?.[1]?.split(" ") ?? [];
  assert.deepEqual(points, ["64.0,312.0", "700.0,49.1"]);
});

test("labels are escaped", () => {
  const svg = lineChart({ title: "a < b & c", xLabel: "x", yLabel: "y", series: [] });

  assert.match(svg, />a &lt; b &amp; c</);
});
