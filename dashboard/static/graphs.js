// Draws every <figure class="graph" data-series-url=...> on the page with the vendored uPlot:
// the average as a line, lowest to highest as a band, and the host's fault and maintenance
// periods shaded behind. The data is the JSON of dashboard/graph_views.py (the same shape as
// GET /api/v1/hosts/{id}/series, plus "from", "to" and "periods"). live.js swaps the page's
// <main> when something changes; it then says so with a "live:refreshed" event and the new
// graphs are drawn.
(function () {
  "use strict";
  const SHADES = {
    maintenance: "rgba(120, 120, 200, 0.16)",
    critical: "rgba(200, 40, 40, 0.16)",
    major: "rgba(220, 110, 20, 0.16)",
    minor: "rgba(220, 180, 20, 0.16)",
    warning: "rgba(220, 180, 20, 0.16)",
  };
  const HEIGHT = 150;
  const drawn = new Map();

  // A null after a silence longer than 2.5 steps, so the line breaks instead of bridging it.
  function columns(series) {
    const t = [], low = [], avg = [], high = [];
    let previous = null;
    for (const [time, lo, mean, hi] of series.points) {
      if (previous !== null && time - previous > 2.5 * series.step_s) {
        t.push(previous + series.step_s);
        low.push(null); avg.push(null); high.push(null);
      }
      t.push(time); low.push(lo); avg.push(mean); high.push(hi);
      previous = time;
    }
    return [t, low, avg, high];
  }

  function shade(periods) {
    const spans = periods.maintenance.map(([from, to]) => [from, to, SHADES.maintenance]);
    for (const [from, to, severity] of periods.faults) {
      spans.push([from, to, SHADES[severity] || SHADES.critical]);
    }
    return function (plot) {
      const ctx = plot.ctx;
      const { top, height } = plot.bbox;
      ctx.save();
      for (const [from, to, colour] of spans) {
        const left = plot.valToPos(from, "x", true);
        const right = plot.valToPos(to, "x", true);
        ctx.fillStyle = colour;
        ctx.fillRect(left, top, Math.max(right - left, 1), height);
      }
      ctx.restore();
    };
  }

  function options(figure, series, width) {
    const unit = figure.dataset.unit ? " " + figure.dataset.unit : "";
    const value = (plot, v) => (v === null || v === undefined ? "—" : +v.toFixed(2) + unit);
    return {
      width: width,
      height: HEIGHT,
      scales: { x: { time: true, min: series.from, max: series.to } },
      // In the page's display zone (the footer names it), whatever the browser's own.
      tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1e3), document.body.dataset.zone || "Etc/UTC"),
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      series: [
        {},
        { label: "lowest", stroke: "rgba(40, 100, 180, 0.35)", width: 1, value: value },
        { label: "average", stroke: "rgb(30, 90, 170)", width: 2, value: value },
        { label: "highest", stroke: "rgba(40, 100, 180, 0.35)", width: 1, value: value },
      ],
      bands: [{ series: [3, 1], fill: "rgba(40, 100, 180, 0.12)" }],
      axes: [{}, { size: 55, values: (plot, ticks) => ticks.map((v) => +v.toFixed(2)) }],
      hooks: { drawClear: [shade(series.periods)] },
    };
  }

  async function draw(figure) {
    const holder = figure.querySelector(".plot");
    if (!holder || drawn.has(figure) || !window.uPlot) {
      return;
    }
    drawn.set(figure, null);
    const response = await fetch(figure.dataset.seriesUrl, { credentials: "same-origin" });
    if (!response.ok) {
      figure.dataset.state = "failed";
      holder.textContent = "No data (" + response.status + ")";
      return;
    }
    const series = await response.json();
    const width = Math.max(holder.clientWidth, 200);
    const plot = new window.uPlot(options(figure, series, width), columns(series), holder);
    drawn.set(figure, plot);
    figure.dataset.state = "drawn";
    figure.dataset.points = String(series.points.length);
    figure.dataset.stepS = String(series.step_s);
    figure.dataset.shaded = String(series.periods.faults.length + series.periods.maintenance.length);
  }

  function drawAll() {
    for (const [figure, plot] of drawn) {
      if (!figure.isConnected) {
        if (plot) { plot.destroy(); }
        drawn.delete(figure);
      }
    }
    document.querySelectorAll("figure.graph[data-series-url]").forEach(draw);
  }

  let resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () {
      for (const [figure, plot] of drawn) {
        const holder = figure.querySelector(".plot");
        if (plot && holder) { plot.setSize({ width: Math.max(holder.clientWidth, 200), height: HEIGHT }); }
      }
    }, 150);
  });
  document.addEventListener("live:refreshed", drawAll);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
