// A small dependency-free SVG chart: per-page median latency against page size
// (both axes logarithmic), one colour per worker, with a binned median line.

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

function ticks(lo, hi) {
  const out = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo && v <= hi) out.push(v);
    }
  }
  return out;
}

const label = (v) => (v >= 1 ? String(+v.toPrecision(3)) : v.toPrecision(1));

/**
 * series: [{ name, color, points: [[sizeKB, ms], ...] }]
 * Returns the SVG document as a string.
 */
export function latencyChart({ series, title, width = 860, height = 520 }) {
  const m = { l: 70, r: 20, t: 44, b: series.length > 3 ? 112 : 100 };
  const all = series.flatMap((s) => s.points);
  if (!all.length) return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="60"><text x="10" y="30">no data</text></svg>\n`;
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const x0 = Math.min(...xs) / 1.15;
  const x1 = Math.max(...xs) * 1.15;
  const y0 = Math.min(...ys) / 1.3;
  const y1 = Math.max(...ys) * 1.3;
  const W = width - m.l - m.r;
  const H = height - m.t - m.b;
  const X = (v) => m.l + ((Math.log(v) - Math.log(x0)) / (Math.log(x1) - Math.log(x0))) * W;
  const Y = (v) => m.t + H - ((Math.log(v) - Math.log(y0)) / (Math.log(y1) - Math.log(y0))) * H;
  const o = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`);
  o.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  o.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="600">${esc(title)}</text>`);
  for (const t of ticks(x0, x1)) {
    o.push(`<line x1="${X(t).toFixed(1)}" x2="${X(t).toFixed(1)}" y1="${m.t}" y2="${m.t + H}" stroke="#e5e7eb"/>`);
    o.push(`<text x="${X(t).toFixed(1)}" y="${m.t + H + 16}" text-anchor="middle" fill="#374151">${label(t)}</text>`);
  }
  for (const t of ticks(y0, y1)) {
    o.push(`<line x1="${m.l}" x2="${m.l + W}" y1="${Y(t).toFixed(1)}" y2="${Y(t).toFixed(1)}" stroke="#e5e7eb"/>`);
    o.push(`<text x="${m.l - 6}" y="${(Y(t) + 4).toFixed(1)}" text-anchor="end" fill="#374151">${label(t)}</text>`);
  }
  o.push(`<rect x="${m.l}" y="${m.t}" width="${W}" height="${H}" fill="none" stroke="#9ca3af"/>`);
  o.push(`<text x="${m.l + W / 2}" y="${m.t + H + 36}" text-anchor="middle" fill="#111827">page size (KB, log scale)</text>`);
  o.push(`<text transform="translate(18 ${m.t + H / 2}) rotate(-90)" text-anchor="middle" fill="#111827">median latency per page (ms, log scale)</text>`);
  // Bucket edges used in the report.
  for (const edge of [16, 64, 256]) {
    if (edge > x0 && edge < x1) o.push(`<line x1="${X(edge).toFixed(1)}" x2="${X(edge).toFixed(1)}" y1="${m.t}" y2="${m.t + H}" stroke="#9ca3af" stroke-dasharray="4 4"/>`);
  }
  const bins = 14;
  for (const s of series) {
    for (const [x, y] of s.points) o.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="2.6" fill="${s.color}" fill-opacity="0.45"/>`);
    const line = [];
    for (let i = 0; i < bins; i++) {
      const lo = Math.exp(Math.log(x0) + ((Math.log(x1) - Math.log(x0)) * i) / bins);
      const hi = Math.exp(Math.log(x0) + ((Math.log(x1) - Math.log(x0)) * (i + 1)) / bins);
      const inBin = s.points.filter(([x]) => x >= lo && x < hi);
      if (!inBin.length) continue;
      const med = (a) => a.slice().sort((p, q) => p - q)[Math.floor((a.length - 1) / 2)];
      line.push([med(inBin.map((p) => p[0])), med(inBin.map((p) => p[1]))]);
    }
    if (line.length > 1) o.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2.2" points="${line.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(" ")}"/>`);
  }
  const perRow = series.length > 3 ? 2 : series.length;
  const rows = Math.ceil(series.length / perRow);
  series.forEach((s, i) => {
    const lx = m.l + 10 + (i % perRow) * ((W - 20) / perRow);
    const ly = height - 12 - (rows - 1 - Math.floor(i / perRow)) * 18;
    o.push(`<rect x="${lx.toFixed(1)}" y="${ly - 9}" width="14" height="10" fill="${s.color}"/>`);
    o.push(`<text x="${(lx + 20).toFixed(1)}" y="${ly}" fill="#111827">${esc(s.name)}</text>`);
  });
  o.push(`<text x="${m.l}" y="${m.t + H + 54}" fill="#6b7280">dots: one page (median of its rounds); lines: median per size bin; dashed: 16 / 64 / 256 KB buckets</text>`);
  o.push("</svg>");
  return o.join("\n") + "\n";
}
