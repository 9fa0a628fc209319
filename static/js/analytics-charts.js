// Charts of the analytics pages, drawn with the vendored Chart.js from data the page passes
// with json_script (no inline script). A <canvas data-chart="KIND" data-source="ID"> reads the
// JSON in the element with that id; series names come from the canvas's data-label-* attributes
// (translated by the template). Kinds: daily, growth, compare, bars.
(function () {
  "use strict";

  // The brand teal first, then colours that stay apart for colour-blind readers.
  var COLOURS = ["#0f766e", "#d97706", "#2563eb", "#db2777", "#7c3aed", "#65a30d", "#6b7280"];

  function data(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-source"));
    return source ? JSON.parse(source.textContent) : null;
  }

  function label(canvas, key) {
    return canvas.getAttribute("data-label-" + key) || key;
  }

  function daily(canvas, d) {
    var s = d.series;
    var datasets = [
      { type: "bar", label: label(canvas, "delivered"), data: s.delivered, backgroundColor: COLOURS[0], stack: "sent", yAxisID: "y" },
      { type: "bar", label: label(canvas, "failed"), data: s.failed, backgroundColor: COLOURS[1], stack: "sent", yAxisID: "y" },
      { type: "line", label: label(canvas, "credits"), data: s.credits, borderColor: COLOURS[3], backgroundColor: COLOURS[3], yAxisID: "y", tension: 0.2, pointRadius: 2 }
    ];
    var scales = { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: label(canvas, "messages") } } };
    if (d.has_quota) {
      datasets.push({ type: "line", label: label(canvas, "quota"), data: s.quota, borderColor: COLOURS[2], backgroundColor: COLOURS[2], yAxisID: "quota", spanGaps: true, borderDash: [6, 4], pointRadius: 2 });
      scales.quota = { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: label(canvas, "quota") } };
    }
    return { data: { labels: d.labels, datasets: datasets }, options: { scales: scales } };
  }

  function growth(canvas, d) {
    var s = d.series;
    var keys = ["open_unique", "open_total", "click_unique", "click_total"];
    var datasets = [];
    var timed = Array.isArray(d.hours) && d.hours.length === d.labels.length;
    // Under two hours of points the axis counts minutes, else hours.
    var inMinutes = timed && d.hours.length && d.hours[d.hours.length - 1] < 2;
    var unit = inMinutes ? "minutes" : "hours";
    keys.forEach(function (key, i) {
      if (canvas.hasAttribute("data-label-" + key)) {
        var values = timed ? s[key].map(function (y, j) { return { x: inMinutes ? d.hours[j] * 60 : d.hours[j], y: y }; }) : s[key];
        datasets.push({ label: label(canvas, key), data: values, borderColor: COLOURS[i], backgroundColor: COLOURS[i], cubicInterpolationMode: "monotone", pointRadius: d.labels.length > 60 ? 0 : 2, borderWidth: 2, borderDash: key.indexOf("total") >= 0 ? [6, 4] : [] });
      }
    });
    if (!timed) {
      return { type: "line", data: { labels: d.labels, datasets: datasets }, options: { scales: { y: { beginAtZero: true } } } };
    }
    // A linear axis in hours since the first point: points sit at their real time.
    return {
      type: "line",
      data: { datasets: datasets },
      options: {
        scales: { x: { type: "linear", min: 0, title: { display: true, text: label(canvas, unit) } }, y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { tooltip: { callbacks: { title: function (items) { return items.length ? d.labels[items[0].dataIndex] : ""; } } } }
      }
    };
  }

  function compare(canvas, d) {
    var datasets = [];
    d.campaigns.forEach(function (c, i) {
      datasets.push({ label: c.name + " · " + label(canvas, "opens"), data: c.points.map(function (p) { return { x: p.hours, y: p.opens }; }), borderColor: COLOURS[i * 2 % COLOURS.length], backgroundColor: COLOURS[i * 2 % COLOURS.length], pointRadius: 2 });
      datasets.push({ label: c.name + " · " + label(canvas, "clicks"), data: c.points.map(function (p) { return { x: p.hours, y: p.clicks }; }), borderColor: COLOURS[(i * 2 + 1) % COLOURS.length], backgroundColor: COLOURS[(i * 2 + 1) % COLOURS.length], borderDash: [6, 4], pointRadius: 2 });
    });
    return {
      type: "line",
      data: { datasets: datasets },
      options: { scales: { x: { type: "linear", title: { display: true, text: label(canvas, "hours") } }, y: { beginAtZero: true } } }
    };
  }

  function bars(canvas, d) {
    return {
      type: "bar",
      data: { labels: d.map(function (r) { return r[0]; }), datasets: [{ label: label(canvas, "count"), data: d.map(function (r) { return r[1]; }), backgroundColor: COLOURS[0] }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true } } }
    };
  }

  var KINDS = { daily: daily, growth: growth, compare: compare, bars: bars };

  function draw(canvas) {
    if (canvas.getAttribute("data-drawn") || typeof window.Chart === "undefined") return;
    var kind = KINDS[canvas.getAttribute("data-chart")];
    var d = data(canvas);
    if (!kind || !d) return;
    var config = kind(canvas, d);
    config.type = config.type || "bar";
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false, interaction: { mode: "index", intersect: false } }, config.options || {});
    canvas.setAttribute("data-drawn", "1");
    canvas.chart = new window.Chart(canvas, config);
  }

  function drawAll() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
  document.addEventListener("htmx:afterSettle", drawAll);
})();
