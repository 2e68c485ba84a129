// The dashboard page: the regions drawn as SVG from /regions.geojson, the rows of the held hours
// from /events (server-sent events: a snapshot, then each change), a region's history from
// /api/regions/NAME/history. No library: the page loads nothing but the app's own files.
"use strict";

(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const HOUR_MS = 3600 * 1000;
  const CHART_HOURS = 24;
  const RETRY_MS = 5000;
  // ColorBrewer RdYlBu reversed, as iot-query --map: blue cold, red warm.
  const COLOURS = ["#313695", "#4575b4", "#74add1", "#abd9e9", "#e0f3f8", "#ffffbf",
                   "#fee090", "#fdae61", "#f46d43", "#d73027", "#a50026"];
  const NO_DATA = "#d4d4d4";

  const rows = new Map();        // "hour/region" -> row, for the hours the server keeps
  let hoursKept = 24;
  const shapes = new Map();      // region -> {paths: [SVGPathElement], mean: SVGTSpanElement | null}
  let selected = null;           // the region whose chart is shown
  let history = [];              // its rows from Cassandra
  let renderPending = false;
  const fresh = new Set();       // regions whose mean just changed, flashed in the table

  const byName = new Intl.Collator("fr", { sensitivity: "base" }).compare;

  function element(name, attributes, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
    if (parent) parent.appendChild(node);
    return node;
  }

  function temperature(value) {
    return value === null || value === undefined ? "-" : value.toFixed(2);
  }

  function hourText(iso) {  // "2026-12-05T13:00:00Z" -> "2026-12-05 13:00"
    return iso.slice(0, 10) + " " + iso.slice(11, 16);
  }

  // The colour of a mean on the hour's scale: coldest to warmest, at least one degree wide.
  function scaleOf(means) {
    if (means.length === 0) return null;
    const low = Math.min(...means), high = Math.max(...means);
    const middle = (low + high) / 2, half = Math.max(high - low, 1) / 2;
    return { low: middle - half, high: middle + half };
  }

  function colour(mean, scale) {
    if (mean === undefined || scale === null) return NO_DATA;
    const t = Math.min(1, Math.max(0, (mean - scale.low) / (scale.high - scale.low))) * (COLOURS.length - 1);
    const i = Math.min(Math.floor(t), COLOURS.length - 2), f = t - i;
    const rgb = (hex) => [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
    const [a, b] = [rgb(COLOURS[i]), rgb(COLOURS[i + 1])];
    return "rgb(" + a.map((v, k) => Math.round(v + (b[k] - v) * f)).join(",") + ")";
  }

  function latestHour() {
    let latest = null;
    for (const row of rows.values()) if (latest === null || row.hour > latest) latest = row.hour;
    return latest;  // ISO strings of one format sort as times
  }

  // ---- the map ----

  function pathData(geometry, frame) {
    const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    const parts = [];
    for (const polygon of polygons) {
      for (const ring of polygon) {
        parts.push("M" + ring.map(([lon, lat]) =>
          (frame.a * lon + frame.b).toFixed(1) + "," + (frame.c * lat + frame.d).toFixed(1)).join("L") + "Z");
      }
    }
    return parts.join("");
  }

  function drawMap(collection) {
    const map = document.getElementById("map");
    const labels = element("g", {}, null);
    for (const feature of collection.features) {
      const name = feature.properties.name;
      const frame = collection.frames[feature.properties.frame];
      const path = element("path", { d: pathData(feature.geometry, frame), class: "region", "fill-rule": "evenodd",
                                     "data-region": name, fill: NO_DATA }, map);
      element("title", {}, path).textContent = name;
      path.addEventListener("click", () => select(name));
      let mean = null;
      if (feature.properties.label) {  // metropolitan: the name and mean inside the region
        const [lon, lat] = feature.properties.label;
        const x = frame.a * lon + frame.b, y = frame.c * lat + frame.d;
        const text = element("text", { x: x, y: y - 2, class: "label" }, labels);
        element("tspan", { x: x, dy: 0 }, text).textContent = name;
        mean = element("tspan", { x: x, dy: 13, class: "mean", "data-region": name }, text);
      } else {  // overseas: a title above the inset
        const [bx, by, bw] = frame.box;
        const text = element("text", { x: bx + bw / 2, y: by - 16, class: "inset-title" }, labels);
        element("tspan", { x: bx + bw / 2, dy: 0 }, text).textContent = name;
        mean = element("tspan", { x: bx + bw / 2, dy: 13, class: "mean", "data-region": name }, text);
      }
      shapes.set(name, { paths: [path], mean: mean });
    }
    map.appendChild(labels);
    drawLegend(map);
    render();
  }

  function drawLegend(map) {
    const legend = element("g", { id: "legend" }, map);
    const left = 120, width = 480, top = 780;
    COLOURS.forEach((c, i) => element("rect", { x: left + (i * width) / COLOURS.length, y: top,
      width: width / COLOURS.length + 0.5, height: 12, fill: c }, legend));
    element("text", { id: "legend-low", x: left - 6, y: top + 11, class: "legend-text", "text-anchor": "end" }, legend);
    element("text", { id: "legend-high", x: left + width + 6, y: top + 11, class: "legend-text" }, legend);
    element("text", { x: left + width / 2, y: top + 30, class: "legend-text", "text-anchor": "middle" }, legend)
      .textContent = "mean temperature of the hour (°C)";
  }

  // ---- the page from the rows ----

  function schedule() {
    if (!renderPending) {
      renderPending = true;
      setTimeout(render, 30);  // many changes at once draw once
    }
  }

  function render() {
    renderPending = false;
    const hour = latestHour();
    document.getElementById("hour").textContent = hour === null ? "waiting for results" : hourText(hour) + " UTC";
    const current = [...rows.values()].filter((row) => row.hour === hour).sort((x, y) => byName(x.region, y.region));
    const means = new Map(current.map((row) => [row.region, row.mean_temperature]));
    const scale = scaleOf([...means.values()]);
    for (const [name, shape] of shapes) {
      const fill = colour(means.get(name), scale);
      shape.paths.forEach((path) => {
        path.setAttribute("fill", fill);
        path.classList.toggle("selected", name === selected);
      });
      if (shape.mean) shape.mean.textContent = means.has(name) ? means.get(name).toFixed(1) + " °C" : "no data";
    }
    if (scale !== null && shapes.size > 0) {
      document.getElementById("legend-low").textContent = scale.low.toFixed(1);
      document.getElementById("legend-high").textContent = scale.high.toFixed(1);
    }
    renderTable(current);
    if (selected !== null) renderChart();
    fresh.clear();
  }

  function renderTable(current) {
    const body = document.querySelector("#results tbody");
    const lines = current.map((row) => {
      const line = document.createElement("tr");
      line.dataset.region = row.region;
      line.classList.toggle("selected", row.region === selected);
      line.classList.toggle("fresh", fresh.has(row.region));
      const cells = [[hourText(row.hour), ""], [row.region, ""], [temperature(row.mean_temperature), "number mean"],
                     [String(row.readings), "number readings"], [temperature(row.mean_temperature_3h_before), "number before"]];
      for (const [text, kind] of cells) {
        const cell = document.createElement("td");
        cell.textContent = text;
        if (kind) cell.className = kind;
        line.appendChild(cell);
      }
      line.addEventListener("click", () => select(row.region));
      return line;
    });
    body.replaceChildren(...lines);
  }

  // ---- a region's last hours ----

  async function select(region) {
    selected = region;
    history = [];
    document.getElementById("chart-panel").hidden = false;
    document.getElementById("chart-title").textContent = region + ", the last " + CHART_HOURS + " hours";
    const note = document.getElementById("chart-note");
    note.textContent = "reading the history…";
    render();
    try {
      const response = await fetch("/api/regions/" + encodeURIComponent(region) + "/history");
      const answer = await response.json();
      if (selected !== region) return;  // another region was clicked meanwhile
      if (!response.ok) throw new Error(answer.error || response.statusText);
      history = answer.rows;
      note.textContent = "history from Cassandra, the current hours live";
    } catch (error) {
      if (selected === region) note.textContent = "history unavailable (" + error.message + "); live hours only";
    }
    renderChart();
  }

  // The history, with the live rows of the region over it (they may be newer), for the last hours.
  function chartPoints() {
    const byHour = new Map(history.map((row) => [row.hour, row]));
    for (const row of rows.values()) if (row.region === selected) byHour.set(row.hour, row);
    const newest = Math.max(...[...byHour.keys()].map(Date.parse));
    return [...byHour.values()]
      .map((row) => ({ time: Date.parse(row.hour), mean: row.mean_temperature, hour: row.hour }))
      .filter((p) => p.time > newest - CHART_HOURS * HOUR_MS)
      .sort((p, q) => p.time - q.time);
  }

  function renderChart() {
    const chart = document.getElementById("chart");
    chart.replaceChildren();
    const points = chartPoints();
    const left = 50, right = 620, top = 20, bottom = 240;
    element("line", { x1: left, y1: bottom, x2: right, y2: bottom, class: "axis" }, chart);
    element("line", { x1: left, y1: top, x2: left, y2: bottom, class: "axis" }, chart);
    if (points.length === 0) {
      element("text", { x: (left + right) / 2, y: (top + bottom) / 2, class: "tick", "text-anchor": "middle" }, chart)
        .textContent = "no hours with readings";
      return;
    }
    const last = points[points.length - 1].time, first = last - (CHART_HOURS - 1) * HOUR_MS;
    const low = Math.min(...points.map((p) => p.mean)), high = Math.max(...points.map((p) => p.mean));
    const middle = (low + high) / 2, half = Math.max(high - low, 2) / 2 * 1.1;
    const x = (time) => left + ((time - first) / (last - first || 1)) * (right - left);
    const y = (mean) => bottom - ((mean - (middle - half)) / (2 * half)) * (bottom - top);
    for (const value of [middle - half, middle, middle + half]) {
      element("line", { x1: left, y1: y(value), x2: right, y2: y(value), class: "grid" }, chart);
      element("text", { x: left - 6, y: y(value) + 4, class: "tick", "text-anchor": "end" }, chart).textContent = value.toFixed(1);
    }
    for (let k = 0; k < CHART_HOURS; k += 6) {
      const time = first + k * HOUR_MS;
      element("text", { x: x(time), y: bottom + 16, class: "tick", "text-anchor": "middle" }, chart)
        .textContent = new Date(time).toISOString().slice(11, 16);
    }
    element("text", { x: right, y: bottom + 32, class: "tick", "text-anchor": "end" }, chart).textContent = "hour (UTC)";
    element("polyline", { points: points.map((p) => x(p.time).toFixed(1) + "," + y(p.mean).toFixed(1)).join(" "),
                          class: "line" }, chart);
    for (const p of points) {
      const dot = element("circle", { cx: x(p.time), cy: y(p.mean), r: 3.5, class: "point", "data-hour": p.hour }, chart);
      element("title", {}, dot).textContent = hourText(p.hour) + " UTC: " + p.mean.toFixed(2) + " °C";
    }
  }

  // ---- the live feed ----

  function status(state, text) {
    const node = document.getElementById("status");
    node.dataset.state = state;
    node.textContent = text;
  }

  function put(row) {
    const key = row.hour + "/" + row.region;
    const before = rows.get(key);
    if (!before || before.mean_temperature !== row.mean_temperature) fresh.add(row.region);
    rows.set(key, row);
  }

  function forgetOldHours() {  // the server keeps the last hoursKept hours: so does the page
    const newest = latestHour();
    if (newest === null) return;
    const oldest = Date.parse(newest) - (hoursKept - 1) * HOUR_MS;
    for (const [key, row] of rows) if (Date.parse(row.hour) < oldest) rows.delete(key);
  }

  function connect() {
    const source = new EventSource("/events");
    source.addEventListener("snapshot", (event) => {
      const snapshot = JSON.parse(event.data);
      hoursKept = snapshot.hours_kept;
      rows.clear();
      snapshot.rows.forEach(put);
      fresh.clear();
      status("live", "live");
      schedule();
    });
    source.addEventListener("row", (event) => {
      put(JSON.parse(event.data));
      forgetOldHours();
      status("live", "live, last change " + new Date().toISOString().slice(11, 19) + " UTC");
      schedule();
    });
    source.addEventListener("removal", (event) => {
      const removal = JSON.parse(event.data);
      rows.delete(removal.hour + "/" + removal.region);
      schedule();
    });
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {  // refused (503) or unreachable: try again later
        status("down", "disconnected, trying again");
        setTimeout(connect, RETRY_MS);
      } else {
        status("connecting", "reconnecting…");
      }
    };
  }

  fetch("/regions.geojson").then((response) => response.json()).then(drawMap);
  connect();
})();
