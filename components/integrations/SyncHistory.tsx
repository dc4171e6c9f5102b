"use client";

// The last runs of one connection: when, how long, found / processed / failed, how it ended and
// why, failed items with reasons (on demand), and a small SVG chart of items and duration per run.
import { useEffect, useState } from "react";
import { Loader2 } from "lucide-react";
import { formatCount } from "./labels";
import type { FailureItem } from "./use-sync-failures";

// The API answer's shape, from the module that produces it (a type: nothing server-side is bundled).
import type { HistoryRun } from "@/lib/contract/api";
import { getSyncFailures, getSyncHistory } from "@/components/api-client";

export type { HistoryRun };

const STATUS_TEXT: Record<string, { text: string; cls: string }> = {
  complete: { text: "Completed", cls: "text-green-700" },
  error: { text: "Failed", cls: "text-red-700" },
  cancelled: { text: "Cancelled", cls: "text-neutral-500" },
};

export function formatDuration(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s % 60)} s`;
}

/** Items (bars) and duration (line) per run, oldest on the left. No chart library. */
export function HistoryChart({ runs }: { runs: HistoryRun[] }) {
  const points = [...runs].reverse();
  if (points.length === 0) return null;
  const W = 260;
  const H = 64;
  const pad = 4;
  const maxItems = Math.max(1, ...points.map((r) => r.processed_items + r.failed_items));
  const maxDur = Math.max(1, ...points.map((r) => r.duration_ms ?? 0));
  const step = (W - pad * 2) / points.length;
  const bar = Math.max(2, step * 0.6);
  const line = points
    .map((r, i) => {
      const x = pad + step * i + step / 2;
      const y = H - pad - ((r.duration_ms ?? 0) / maxDur) * (H - pad * 2);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(" ");
  return (
    <figure className="mt-2">
      <svg data-testid="history-chart" viewBox={`0 0 ${W} ${H}`} width="100%" height={H} role="img" aria-label="Items and duration per run, oldest to newest">
        {points.map((r, i) => {
          const x = pad + step * i + (step - bar) / 2;
          const okH = (r.processed_items / maxItems) * (H - pad * 2);
          const failH = (r.failed_items / maxItems) * (H - pad * 2);
          return (
            <g key={r.id}>
              <title>{`${new Date(r.started_at).toLocaleString("en-US")}: ${r.processed_items} processed, ${r.failed_items} failed, ${formatDuration(r.duration_ms)}`}</title>
              <rect x={x} y={H - pad - okH} width={bar} height={okH} className="fill-blue-300" />
              <rect x={x} y={H - pad - okH - failH} width={bar} height={failH} className="fill-red-400" />
            </g>
          );
        })}
        {points.length > 1 ? <polyline points={line} fill="none" strokeWidth={1.5} className="stroke-amber-600" /> : null}
      </svg>
      <figcaption className="flex gap-3 text-[11px] text-neutral-500">
        <span><span className="mr-1 inline-block h-2 w-2 bg-blue-300" />processed</span>
        <span><span className="mr-1 inline-block h-2 w-2 bg-red-400" />failed</span>
        <span><span className="mr-1 inline-block h-0.5 w-3 bg-amber-600 align-middle" />duration</span>
      </figcaption>
    </figure>
  );
}

function Failures({ runId }: { runId: string }) {
  const [items, setItems] = useState<FailureItem[] | null>(null);
  const [total, setTotal] = useState(0);
  useEffect(() => {
    const c = new AbortController();
    void getSyncFailures(runId, c.signal).then((r) => {
      const b = r.ok ? r.body : null;
      setItems(Array.isArray(b?.failures) ? b.failures : []);
      setTotal(b?.total ?? 0);
    });
    return () => c.abort();
  }, [runId]);
  if (items === null) return <Loader2 aria-hidden className="h-3.5 w-3.5 animate-spin text-neutral-400" />;
  return (
    <ul data-testid="history-failures" className="mt-1 space-y-0.5 text-xs text-neutral-600">
      {items.map((f) => (
        <li key={f.external_id} className="break-words">
          <span className="font-medium">{f.title ?? f.external_id}</span>: {f.reason}
        </li>
      ))}
      {total > items.length ? <li className="text-neutral-500">…and {formatCount(total - items.length)} more</li> : null}
    </ul>
  );
}

export function SyncHistory({ type, refreshKey }: { type: string; refreshKey?: string | null }) {
  const [runs, setRuns] = useState<HistoryRun[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [openFailures, setOpenFailures] = useState<string | null>(null);

  useEffect(() => {
    const c = new AbortController();
    void getSyncHistory(type, 20, c.signal).then((r) => {
      if (c.signal.aborted) return;
      if (r.ok && Array.isArray(r.body.runs)) {
        setRuns(r.body.runs);
        setError(null);
      } else if (r.status === 0) {
        setError("Could not load the history.");
      } else {
        setError((!r.ok && r.error) || `Could not load the history (HTTP ${r.status}).`);
      }
    });
    return () => c.abort();
  }, [type, refreshKey]);

  if (error) return <p className="mt-3 text-xs text-red-700">{error}</p>;
  if (runs === null) return <Loader2 aria-hidden className="mt-3 h-4 w-4 animate-spin text-neutral-400" />;
  if (runs.length === 0) return <p className="mt-3 text-xs text-neutral-500">No syncs yet.</p>;

  return (
    <div data-testid={`history-panel-${type}`} className="mt-3 rounded-xl bg-neutral-50 p-3 ring-1 ring-neutral-200">
      <HistoryChart runs={runs} />
      <ol className="mt-2 max-h-72 space-y-2 overflow-y-auto text-xs">
        {runs.map((r) => {
          const st = STATUS_TEXT[r.status] ?? { text: "Running", cls: "text-blue-700" };
          const why = [r.error_message, ...r.notes].filter(Boolean).join(" · ");
          return (
            <li
              key={r.id}
              data-testid="history-row"
              data-run-id={r.id}
              data-status={r.status}
              data-duration-ms={r.duration_ms ?? ""}
              data-total={r.total_items}
              data-processed={r.processed_items}
              data-failed={r.failed_items}
              className="border-b border-neutral-200 pb-2 last:border-0"
            >
              <div className="flex flex-wrap items-baseline justify-between gap-x-2">
                <time dateTime={r.started_at} className="text-neutral-700" suppressHydrationWarning>
                  {new Date(r.started_at).toLocaleString("en-US", { dateStyle: "short", timeStyle: "short" })}
                </time>
                <span className={`font-medium ${st.cls}`}>{st.text}</span>
              </div>
              <div className="mt-0.5 text-neutral-600 tabular-nums">
                {formatDuration(r.duration_ms)} · {formatCount(r.total_items)} found · {formatCount(r.processed_items)} processed ·{" "}
                {r.failed_items > 0 ? (
                  <button
                    type="button"
                    onClick={() => setOpenFailures(openFailures === r.id ? null : r.id)}
                    aria-expanded={openFailures === r.id}
                    className="text-red-700 underline-offset-2 hover:underline"
                  >
                    {formatCount(r.failed_items)} failed
                  </button>
                ) : (
                  "0 failed"
                )}
              </div>
              {why ? <p className="mt-0.5 break-words text-neutral-500">{why}</p> : null}
              {openFailures === r.id ? <Failures runId={r.id} /> : null}
            </li>
          );
        })}
      </ol>
    </div>
  );
}

export default SyncHistory;
