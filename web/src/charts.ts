/**
 * The dashboard's two charts, drawn with uPlot (pinned in package.json, bundled into charts.js
 * and served by the API itself: no CDN). Readable without colour: every bar carries its number
 * as text and the axes name what they show; the same numbers are in tables beside the charts.
 */
import uPlot from 'uplot';
import type { ChartsModule } from './charts-api';

const BAR = '#1f5fbf';
const INK = '#1b1f24';

function width(el: HTMLElement): number {
  return Math.max(260, Math.min(640, el.clientWidth || 480));
}

/** Draws each bar's value above it, so no number depends on reading a colour or an axis. */
function valueLabels(format: (v: number) => string): uPlot.Plugin {
  return {
    hooks: {
      draw: (u: uPlot) => {
        const ctx = u.ctx;
        const xs = u.data[0];
        const ys = u.data[1] as (number | null)[];
        ctx.save();
        ctx.fillStyle = INK;
        ctx.font = `${Math.round(12 * uPlot.pxRatio)}px system-ui, sans-serif`;
        ctx.textAlign = 'center';
        ctx.textBaseline = 'bottom';
        for (let i = 0; i < xs.length; i++) {
          const y = ys[i];
          if (y === null || y === undefined || y === 0) continue;
          const px = u.valToPos(xs[i]!, 'x', true);
          const py = u.valToPos(y, 'y', true);
          ctx.fillText(format(y), px, py - 3 * uPlot.pxRatio);
        }
        ctx.restore();
      },
    },
  };
}

function bars(): uPlot.Series.PathBuilder {
  return uPlot.paths.bars!({ size: [0.6, 64], align: 0 });
}

const charts: ChartsModule = {
  drawDpd(el, buckets) {
    el.replaceChildren();
    const xs = buckets.map((_, i) => i);
    const max = Math.max(1, ...buckets.map((b) => b.loans));
    new uPlot(
      {
        width: width(el),
        height: 240,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false, range: [-0.5, buckets.length - 0.5] }, y: { range: [0, max * 1.2] } },
        axes: [
          {
            values: (_u, splits) => splits.map((s) => buckets[s]?.label ?? ''),
            splits: () => xs,
            stroke: INK,
          },
          { label: 'Loans', stroke: INK, size: 50 },
        ],
        series: [{}, { label: 'Loans', fill: BAR, stroke: BAR, paths: bars(), points: { show: false } }],
        plugins: [valueLabels((v) => String(v))],
      },
      [xs, buckets.map((b) => b.loans)],
      el,
    );
  },

  drawDaily(el, days) {
    el.replaceChildren();
    const xs = days.map((d) => Date.parse(`${d.date}T00:00:00+05:30`) / 1000);
    const rupees = days.map((d) => Math.round(d.amount / 100));
    const max = Math.max(1, ...rupees);
    const ist = (t: number) =>
      new Date(t * 1000 + 5.5 * 3600 * 1000).toISOString().slice(5, 10).split('-').reverse().join('/');
    new uPlot(
      {
        width: width(el),
        height: 240,
        legend: { show: false },
        scales: {
          x: { time: false, range: [xs[0]! - 43_200, xs[xs.length - 1]! + 43_200] },
          y: { range: [0, max * 1.15] },
        },
        axes: [
          { values: (_u, splits) => splits.map(ist), space: 60, stroke: INK, label: 'Day (IST, dd/mm)' },
          {
            label: 'Collected (₹)',
            stroke: INK,
            size: 70,
            values: (_u, splits) =>
              splits.map((v) => (v >= 100_000 ? `${(v / 100_000).toFixed(1)}L` : String(v))),
          },
        ],
        series: [
          {},
          { label: 'Collected (₹)', fill: BAR, stroke: BAR, paths: bars(), points: { show: false } },
        ],
      },
      [xs, rupees],
      el,
    );
  },
};

export const { drawDpd, drawDaily } = charts;
