import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatClock } from '../ui/format';

const HEIGHT = 220;

/**
 * Entries per hour as bars (uPlot), hours on the event's clock. The canvas says nothing to a screen
 * reader, so the figure carries the same numbers in its label.
 */
export function HourlyChart({
  byHour,
  timeZone,
}: {
  byHour: Array<{ hour: string; entries: number }>;
  timeZone: string;
}) {
  const holder = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = holder.current;
    if (!element || byHour.length === 0) return;
    const hours = byHour.map((row) => Date.parse(row.hour) / 1000);
    const entries = byHour.map((row) => row.entries);
    const chart = new uPlot(
      {
        width: Math.max(element.clientWidth, 200),
        height: HEIGHT,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false, range: (_u, min, max) => [min - 1800, max + 1800] } },
        axes: [
          {
            // One tick per hour that had entries, labelled on the event's clock.
            splits: () => hours,
            values: (_u, splits) => splits.map((at) => formatClock(new Date(at * 1000).toISOString(), timeZone)),
          },
          { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] },
        ],
        series: [
          {},
          {
            label: 'Entries',
            stroke: '#1f4e8c',
            fill: 'rgba(31, 78, 140, 0.75)',
            paths: uPlot.paths.bars!({ size: [0.6, 48] }),
            points: { show: false },
          },
        ],
      },
      [hours, entries],
      element,
    );
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(element.clientWidth, 200), height: HEIGHT }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [byHour, timeZone]);

  if (byHour.length === 0) return <p className="hint">No entries yet.</p>;
  const summary = byHour.map((row) => `${formatClock(row.hour, timeZone)}: ${row.entries.toLocaleString()}`).join(', ');
  return <div ref={holder} className="hourly-chart" role="img" aria-label={`Entries per hour — ${summary}`} />;
}
