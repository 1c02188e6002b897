// A bar chart in SVG, drawn with DOM calls and attributes only (the CSP allows no inline
// style): one bar per row, its height the value, below the axis when negative (red).
// Labels under the bars; the value in each bar's <title> (a tooltip).

const SVG = "http://www.w3.org/2000/svg";

function node(tag, attrs = {}, text = "") {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  if (text) el.textContent = text;
  return el;
}

// `points`: [{label, value}]; `format(value)` words a value for the tooltip and the scale.
export function barChart(points, { title = "", format = String, width = 720, height = 240 } = {}) {
  const pad = { top: 24, right: 12, bottom: 44, left: 72 };
  const svg = node("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
    "aria-label": title });
  svg.append(node("title", {}, title));
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const high = Math.max(0, ...points.map((p) => p.value));
  const low = Math.min(0, ...points.map((p) => p.value));
  const span = high - low || 1;
  const y = (value) => pad.top + ((high - value) / span) * plotH;
  svg.append(node("text", { x: pad.left, y: 14 }, title));
  svg.append(node("line", { class: "axis", x1: pad.left, x2: width - pad.right, y1: y(0), y2: y(0) }));
  svg.append(node("text", { x: pad.left - 6, y: y(high) + 4, "text-anchor": "end" }, format(high)));
  if (low < 0) svg.append(node("text", { x: pad.left - 6, y: y(low) + 4, "text-anchor": "end" }, format(low)));
  const slot = plotW / Math.max(points.length, 1);
  const barW = Math.max(2, Math.min(48, slot * 0.7));
  points.forEach((point, i) => {
    const x = pad.left + i * slot + (slot - barW) / 2;
    const top = Math.min(y(point.value), y(0));
    const bar = node("rect", { class: point.value < 0 ? "bar negative" : "bar", x, y: top, width: barW,
      height: Math.max(1, Math.abs(y(point.value) - y(0))), "data-value": point.value });
    bar.append(node("title", {}, `${point.label}: ${format(point.value)}`));
    svg.append(bar, node("text", { x: x + barW / 2, y: height - pad.bottom + 16, "text-anchor": "middle" },
      point.label.length > 12 ? `${point.label.slice(0, 11)}…` : point.label));
  });
  return svg;
}
