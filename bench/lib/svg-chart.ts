/** A dependency-free horizontal bar chart (SVG) of one metric across servers and rows. */
import type { ScenarioReport } from './report.js';

const COLORS: Record<string, string> = {
  miniim: '#1a7f37',
  raw: '#6e7781',
  socketio: '#0969da',
  'socketio-nofsync': '#54aeff',
  blog: '#bf8700',
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function svgBarChart(rep: ScenarioReport): string {
  const bars: { label: string; value: number; color: string }[] = [];
  for (const r of rep.results) {
    if (r.skipped) continue;
    for (const row of r.rows) {
      if (rep.chart.row && row.key !== rep.chart.row) continue;
      const v = row.metrics[rep.chart.metric];
      if (v == null) continue;
      bars.push({
        label: r.rows.length > 1 && !rep.chart.row ? `${r.label} · ${row.key}` : r.label,
        value: v,
        color: COLORS[r.target] ?? '#888',
      });
    }
  }
  const labelW = 330;
  const barW = 420;
  const rowH = 24;
  const top = 40;
  const height = top + bars.length * rowH + 30;
  const max = Math.max(1e-9, ...bars.map((b) => b.value));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + barW + 110}" height="${height}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${esc(`${rep.title}: ${rep.chart.label}`)}</title>`,
    '<rect width="100%" height="100%" fill="#fff"/>',
    `<text x="10" y="22" font-size="14" font-weight="bold">${esc(`${rep.title}: ${rep.chart.label}`)}</text>`,
  ];
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const w = Math.max(1, (b.value / max) * barW);
    parts.push(
      `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${b.color}"/>`,
      `<text x="${labelW + w + 4}" y="${y + 15}">${b.value.toLocaleString('en-US')}</text>`,
    );
  });
  parts.push(
    `<text x="10" y="${height - 10}" fill="#57606a">${esc(`${rep.mode} run, ${rep.date.slice(0, 10)}, ${rep.machine.cpus} cores, Node ${rep.machine.node}`)}</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
