import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { html } from './html.js'

/** A timeline answer's buckets. */
export interface TimelineBucket {
  start: string
  success_rate: number | null
  average_duration_ms: number | null
  p95_duration_ms: number | null
  total: number
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888'
}

/** Success rate (%) and attempt latency (ms) over time, drawn with uPlot; a table follows for screen readers. */
export function TimelineChart({ buckets }: { buckets: TimelineBucket[] }) {
  const box = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const el = box.current
    if (!el) return
    const xs = buckets.map((b) => new Date(b.start).getTime() / 1000)
    const rate = buckets.map((b) => (b.success_rate === null ? null : Math.round(b.success_rate * 1000) / 10))
    const avg = buckets.map((b) => b.average_duration_ms)
    const p95 = buckets.map((b) => b.p95_duration_ms)
    const axis = { stroke: cssVar('--muted'), grid: { stroke: cssVar('--grid') }, ticks: { stroke: cssVar('--grid') } }
    const opts: uPlot.Options = {
      width: Math.max(260, el.clientWidth),
      height: 240,
      scales: { x: { time: true }, rate: { range: [0, 100] }, ms: { range: (_u, _min, max) => [0, Math.max(10, (max ?? 0) * 1.1)] } },
      series: [
        {},
        { label: 'Success %', scale: 'rate', stroke: cssVar('--ok'), width: 2, spanGaps: true, points: { show: true } },
        { label: 'Avg ms', scale: 'ms', stroke: cssVar('--accent'), width: 2, spanGaps: true, points: { show: true } },
        { label: 'p95 ms', scale: 'ms', stroke: cssVar('--warn'), width: 1, dash: [4, 4], spanGaps: true, points: { show: true } },
      ],
      axes: [
        { ...axis },
        { ...axis, scale: 'rate', label: 'success %', size: 50 },
        { ...axis, scale: 'ms', side: 1, label: 'ms', size: 60, grid: { show: false } },
      ],
      legend: { live: false },
    }
    const plot = new uPlot(opts, [xs, rate, avg, p95] as uPlot.AlignedData, el)
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(260, el.clientWidth), height: 240 }))
    resize.observe(el)
    return () => {
      resize.disconnect()
      plot.destroy()
    }
  }, [buckets])
  return html`<figure class="chart">
    <div ref=${box} class="chart-box" role="img" aria-label="Success rate and latency over time"></div>
    <figcaption class="muted small">Success rate of finished deliveries and attempt latency, by creation time.</figcaption>
  </figure>`
}
