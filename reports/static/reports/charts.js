/* Draws every <canvas data-chart="id"> from the JSON in <script id="id">; Chart.js 4 (vendored). */
(function () {
  "use strict";
  var palette = ["#0d6efd", "#20c997", "#fd7e14", "#6f42c1", "#dc3545", "#198754", "#0dcaf0", "#6c757d"];

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || !window.Chart) { return null; }
    var spec = JSON.parse(source.textContent);
    var percent = spec.percent;
    var datasets = spec.datasets.map(function (set, i) {
      var color = palette[i % palette.length];
      return {
        label: set.label,
        data: set.data,
        backgroundColor: spec.type === "line" ? color + "33" : color,
        borderColor: color,
        borderWidth: spec.type === "line" ? 2 : 0,
        borderRadius: spec.type === "bar" ? 3 : 0,
        fill: spec.type === "line",
        tension: 0.25,
        maxBarThickness: 48
      };
    });
    var valueAxis = {
      beginAtZero: true,
      stacked: spec.stacked,
      title: { display: !!spec.yTitle, text: spec.yTitle },
      ticks: { callback: function (v) { return percent ? v + " %" : v.toLocaleString(); } }
    };
    var labelAxis = { stacked: spec.stacked, grid: { display: false } };
    return new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: spec.horizontal ? "y" : "x",
        plugins: {
          legend: { display: datasets.length > 1, position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var v = spec.horizontal ? ctx.parsed.x : ctx.parsed.y;
                return ctx.dataset.label + ": " + (v === null ? "—" : v.toLocaleString() + (percent ? " %" : ""));
              }
            }
          }
        },
        scales: spec.horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis }
      }
    });
  }

  function drawAll() {
    window.reportCharts = [];
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var chart = draw(canvas);
      if (chart) { window.reportCharts.push(chart); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
