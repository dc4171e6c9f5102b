"use client";

// The last runs of one connection: when, how long, found / processed / failed, how it ended and
// why, failed items with reasons (on demand), and a chart of items per run.
import { useEffect, useState } from "react";
import { Loader2 } from "lucide-react";
import { formatCount, formatDateTime, formatDay, plural } from "./labels";
import { Details } from "./SyncModalParts";
import { changesLine } from "./modal-view";
import type { FailureItem } from "./use-sync-failures";

// The API answer's shape, from the module that produces it (a type: nothing server-side is bundled).
import type { HistoryRun } from "@/lib/contract/api";
import { getSyncFailures, getSyncHistory } from "@/components/api-client";

export type { HistoryRun };

const STATUS_TEXT: Record<string, { text: string; cls: string }> = {
  complete: { text: "Completed", cls: "text-green-700" },
  error: { text: "Failed", cls: "text-red-700" },
  cancelled: { text: "Cancelled", cls: "text-neutral-600" },
};

export function formatDuration(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s % 60)} s`;
}

/** 2, 4, 6, 8, 10, 20, 40… : the smallest of these at or above n (the top of the y axis; its half is whole too). */
export function niceCeil(n: number): number {
  if (n <= 2) return 2;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 4, 6, 8, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

function runLabel(r: HistoryRun): string {
  const st = STATUS_TEXT[r.status]?.text ?? "Running";
  return `${formatDateTime(r.started_at)}: ${st}, ${formatCount(r.processed_items)} processed, ${formatCount(r.failed_items)} failed, ${formatDuration(r.duration_ms)}`;
}

/**
 * Items per run, oldest on the left: processed (blue) with failed (red) stacked on top, a y axis
 * with its scale and the first and last run's dates under the x axis. Drawn with HTML boxes (no
 * chart library): the labels keep their size however narrow the card. Values: on hover, and in
 * the list below the chart.
 */
export function HistoryChart({ runs }: { runs: HistoryRun[] }) {
  const points = [...runs].reverse();
  if (points.length === 0) return null;
  const top = niceCeil(Math.max(1, ...points.map((r) => r.processed_items + r.failed_items)));
  const items = points.reduce((n, r) => n + r.processed_items + r.failed_items, 0);
  const failed = points.reduce((n, r) => n + r.failed_items, 0);
  const failedShare = items > 0 ? (failed / items) * 100 : 0;
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const summary = `${plural(points.length, "run", "runs")} · ${plural(items, "item", "items")} · ${
    failed > 0 ? `${failedShare < 1 ? "<1" : Math.round(failedShare)}% failed` : "none failed"
  }`;
  return (
    <figure className="text-[11px] text-neutral-600">
      <figcaption className="mb-1.5 flex flex-wrap items-baseline justify-between gap-x-3">
        <span className="font-medium text-neutral-800">Items per run</span>
        <span data-testid="history-summary">{summary}</span>
      </figcaption>
      <div className="flex gap-1.5">
        <div aria-hidden className="relative h-28 w-9 shrink-0 text-right tabular-nums">
          <span className="absolute right-0 -top-1.5">{formatCount(top)}</span>
          <span className="absolute right-0 top-1/2 -translate-y-1/2">{formatCount(top / 2)}</span>
          <span className="absolute right-0 -bottom-1.5">0</span>
        </div>
        <div
          data-testid="history-chart"
          role="img"
          aria-label={`Items per run, oldest to newest: ${points.map(runLabel).join("; ")}`}
          className="relative h-28 min-w-0 flex-1 border-b border-l border-neutral-400"
        >
          <div aria-hidden className="absolute inset-x-0 top-0 border-t border-dashed border-neutral-200" />
          <div aria-hidden className="absolute inset-x-0 top-1/2 border-t border-dashed border-neutral-200" />
          <div className="absolute inset-0 flex items-end gap-0.5 px-0.5">
            {points.map((r) => {
              const okPct = (r.processed_items / top) * 100;
              const failPct = (r.failed_items / top) * 100;
              return (
                <div key={r.id} title={runLabel(r)} className="flex h-full max-w-6 min-w-0 flex-1 flex-col justify-end hover:opacity-80">
                  {r.failed_items > 0 ? <div className="w-full bg-red-500" style={{ height: `max(3px, ${failPct}%)` }} /> : null}
                  {r.processed_items > 0 ? <div className="w-full bg-blue-500" style={{ height: `${okPct}%` }} /> : null}
                  {r.processed_items + r.failed_items === 0 ? <div className="h-px w-full bg-neutral-400" /> : null}
                </div>
              );
            })}
          </div>
        </div>
      </div>
      <div className="ml-[2.625rem] mt-1 flex justify-between gap-2">
        <time dateTime={first.started_at} suppressHydrationWarning>
          {formatDay(first.started_at)}
        </time>
        {points.length > 1 ? (
          <time dateTime={last.started_at} suppressHydrationWarning>
            {formatDay(last.started_at)}
          </time>
        ) : null}
      </div>
      <div className="mt-1.5 flex gap-3">
        <span>
          <span aria-hidden className="mr-1 inline-block h-2 w-2 bg-blue-500" />
          processed
        </span>
        <span>
          <span aria-hidden className="mr-1 inline-block h-2 w-2 bg-red-500" />
          failed
        </span>
      </div>
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
          <Details text={f.detail} />
        </li>
      ))}
      {total > items.length ? <li className="text-neutral-600">…and {formatCount(total - items.length)} more</li> : null}
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
        setError((!r.ok && r.error) || "Could not load the history. Try again in a moment.");
      }
    });
    return () => c.abort();
  }, [type, refreshKey]);

  if (error) return <p role="alert" className="mt-3 text-xs text-red-700">{error}</p>;
  if (runs === null) return <Loader2 aria-hidden className="mt-3 h-4 w-4 animate-spin text-neutral-400" />;
  if (runs.length === 0) return <p className="mt-3 text-xs text-neutral-600">No syncs yet.</p>;

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
              data-added={r.added_items}
              data-updated={r.updated_items}
              data-removed={r.removed_items}
              className="border-b border-neutral-200 pb-2 last:border-0"
            >
              <div className="flex flex-wrap items-baseline justify-between gap-x-2">
                <time dateTime={r.started_at} className="text-neutral-700" suppressHydrationWarning>
                  {formatDateTime(r.started_at)}
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
                    className="rounded text-red-700 underline underline-offset-2 hover:text-red-800 focus-visible:outline-2 focus-visible:outline-red-600"
                  >
                    {formatCount(r.failed_items)} failed
                  </button>
                ) : (
                  "0 failed"
                )}
              </div>
              {r.status === "complete" && r.added_items + r.updated_items + r.removed_items > 0 ? (
                <p data-testid="history-changes" className="mt-0.5 text-neutral-600 tabular-nums">
                  {changesLine(r)}
                </p>
              ) : null}
              {why ? <p className="mt-0.5 break-words text-neutral-600">{why}</p> : null}
              <Details text={r.detail} />
              {openFailures === r.id ? <Failures runId={r.id} /> : null}
            </li>
          );
        })}
      </ol>
    </div>
  );
}

export default SyncHistory;
