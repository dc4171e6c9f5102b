"use client";

import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from "react";
import { Ban, CheckCircle, Clock, Loader2, WifiOff, X, XCircle } from "lucide-react";
import type { ProgressData } from "@/lib/contract";
import { secondsUntil, type SyncPhase } from "./progress-reducer";
import { useSyncProgress } from "./use-sync-progress";
import { useSyncFailures } from "./use-sync-failures";
import { connectorLabel, formatCount } from "./labels";
import { cancelSync } from "@/components/api-client";

export const AUTO_CLOSE_SECONDS = 3;

export interface SyncProgressModalProps {
  syncId: string;
  connectorType: string;
  /** Hides the modal. While the sync runs this does not cancel it ("Run in background"). */
  onClose: () => void;
  /** Called once when the sync reaches complete / error / cancelled. */
  onFinished?: (progress: ProgressData) => void;
}

/** Date.now(), refreshed every `intervalMs` while `active`. */
function useNow(active: boolean, intervalMs = 500): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [active, intervalMs]);
  return now;
}

function StatusIcon({ phase }: { phase: SyncPhase | null }) {
  const cls = "h-12 w-12";
  switch (phase) {
    case "complete":
      return <CheckCircle aria-hidden className={`${cls} text-green-600`} />;
    case "error":
      return <XCircle aria-hidden className={`${cls} text-red-600`} />;
    case "cancelled":
      return <Ban aria-hidden className={`${cls} text-neutral-500`} />;
    case "rate_limited":
      return <Clock aria-hidden className={`${cls} text-amber-500`} />;
    default:
      return <Loader2 aria-hidden className={`${cls} animate-spin text-blue-600 motion-reduce:animate-none`} />;
  }
}

const BAR_COLOR: Record<SyncPhase, string> = {
  running: "bg-blue-600",
  rate_limited: "bg-amber-500",
  complete: "bg-green-600",
  error: "bg-red-600",
  cancelled: "bg-neutral-400",
};

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), [tabindex]:not([tabindex="-1"])';

async function postCancel(syncId: string): Promise<{ ok: true; progress: unknown } | { ok: false; error: string }> {
  const r = await cancelSync(syncId);
  if (r.ok) return { ok: true, progress: r.body.progress };
  if (r.status === 0) return { ok: false, error: "Could not reach the server to cancel the sync." };
  return { ok: false, error: r.error ?? `Could not cancel the sync (HTTP ${r.status}).` };
}

export function SyncProgressModal({ syncId, connectorType, onClose, onFinished }: SyncProgressModalProps) {
  const { progress, connection, finished, phase, error: trackingError, applySnapshot } = useSyncProgress(syncId);
  const titleId = useId();
  const stageId = useId();
  const dialogRef = useRef<HTMLDivElement>(null);

  // Latest callbacks without re-running effects when the parent re-renders.
  const onCloseRef = useRef(onClose);
  const onFinishedRef = useRef(onFinished);
  useEffect(() => {
    onCloseRef.current = onClose;
    onFinishedRef.current = onFinished;
  });

  // onFinished: exactly once per sync.
  const reportedRef = useRef<string | null>(null);
  useEffect(() => {
    if (!finished || !progress || reportedRef.current === syncId) return;
    reportedRef.current = syncId;
    onFinishedRef.current?.(progress);
  }, [finished, progress, syncId]);

  // Auto-close 3 s after `complete`.
  const [closeIn, setCloseIn] = useState<number | null>(null);
  useEffect(() => {
    if (phase !== "complete") return;
    const started = Date.now();
    setCloseIn(AUTO_CLOSE_SECONDS);
    const t = setInterval(() => {
      const left = AUTO_CLOSE_SECONDS - Math.floor((Date.now() - started) / 1000);
      if (left <= 0) {
        clearInterval(t);
        onCloseRef.current();
      } else {
        setCloseIn(left);
      }
    }, 200);
    return () => clearInterval(t);
  }, [phase]);

  const failures = useSyncFailures(syncId, progress?.failed_items ?? 0, finished);

  // Rate-limit countdown from retry_at.
  const now = useNow(phase === "rate_limited");
  const retryIn = phase === "rate_limited" ? secondsUntil(progress?.retry_at, now) : null;

  // Cancel.
  const [cancelState, setCancelState] = useState<"idle" | "pending" | "requested">("idle");
  const [cancelError, setCancelError] = useState<string | null>(null);
  const cancel = useCallback(async () => {
    setCancelState("pending");
    setCancelError(null);
    const result = await postCancel(syncId);
    if (result.ok) {
      setCancelState("requested");
      if (result.progress && typeof result.progress === "object") applySnapshot(result.progress as ProgressData);
    } else {
      setCancelState("idle");
      setCancelError(result.error);
    }
  }, [syncId, applySnapshot]);

  // Focus: move into the dialog, give it back on unmount.
  useEffect(() => {
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialogRef.current?.focus();
    return () => previous?.focus?.();
  }, []);

  // Escape hides (never cancels).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        e.stopPropagation();
        onCloseRef.current();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  // Keep Tab inside the dialog.
  const trapTab = (e: ReactKeyboardEvent<HTMLDivElement>) => {
    if (e.key !== "Tab" || !dialogRef.current) return;
    const items = Array.from(dialogRef.current.querySelectorAll<HTMLElement>(FOCUSABLE));
    if (items.length === 0) {
      e.preventDefault();
      return;
    }
    const first = items[0]!;
    const last = items[items.length - 1]!;
    const active = document.activeElement;
    if (e.shiftKey && (active === first || active === dialogRef.current)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && active === last) {
      e.preventDefault();
      first.focus();
    }
  };

  const label = connectorLabel(connectorType);
  const running = !finished && !trackingError;
  const total = progress?.total_items ?? 0;
  const processed = progress?.processed_items ?? 0;
  const failed = progress?.failed_items ?? 0;
  const indeterminate = running && total === 0;
  const percent = phase === "complete" ? 100 : Math.round(Math.min(100, Math.max(0, progress?.percent_complete ?? 0)));
  const stage = progress?.stage || (trackingError ? "Progress unavailable" : "Connecting…");

  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-neutral-900/50 p-4 backdrop-blur-[1px]">
      <div
        ref={dialogRef}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={stageId}
        tabIndex={-1}
        onKeyDown={trapTab}
        data-testid="sync-modal"
        data-status={progress?.status ?? "loading"}
        data-phase={phase ?? "loading"}
        data-connection={connection}
        className="max-h-[calc(100dvh-2rem)] w-full max-w-md overflow-y-auto rounded-2xl bg-white p-6 shadow-xl outline-none ring-1 ring-neutral-200"
      >
        {/* Header */}
        <div className="mb-4 flex items-center justify-between gap-4">
          <h2 id={titleId} className="text-lg font-semibold text-neutral-900">
            Syncing {label}
          </h2>
          {!running ? (
            <button
              type="button"
              onClick={() => onCloseRef.current()}
              aria-label="Close"
              data-testid="sync-close"
              className="rounded-md p-1 text-neutral-400 hover:bg-neutral-100 hover:text-neutral-600 focus-visible:outline-2 focus-visible:outline-blue-600"
            >
              <X aria-hidden className="h-5 w-5" />
            </button>
          ) : null}
        </div>

        {/* Status icon */}
        <div className="mb-4 flex justify-center">
          {trackingError && !progress ? <WifiOff aria-hidden className="h-12 w-12 text-neutral-400" /> : <StatusIcon phase={phase} />}
        </div>

        {/* Stage + current item */}
        <div className="mb-4 text-center" aria-live="polite">
          <p id={stageId} data-testid="sync-stage" className="text-base font-medium text-neutral-900">
            {stage}
          </p>
          {progress?.current_item && running ? (
            <p data-testid="sync-current-item" title={progress.current_item} className="mt-1 truncate text-sm text-neutral-500">
              {progress.current_item}
            </p>
          ) : null}
          {phase === "rate_limited" && retryIn !== null ? (
            <p data-testid="sync-retry" className="mt-1 text-sm text-amber-700">
              {retryIn > 0 ? `Rate limited — resuming in ${retryIn} s` : "Resuming…"}
            </p>
          ) : null}
        </div>

        {/* Progress bar */}
        <div className="mb-4">
          <div
            role="progressbar"
            aria-label={`${label} sync progress`}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={indeterminate ? undefined : percent}
            aria-valuetext={indeterminate ? "Counting items" : `${percent}%`}
            data-indeterminate={indeterminate ? "true" : "false"}
            className="relative h-2.5 w-full overflow-hidden rounded-full bg-neutral-200"
          >
            {indeterminate ? (
              <div className="absolute inset-y-0 w-1/3 rounded-full bg-blue-600 animate-indeterminate motion-reduce:left-1/3 motion-reduce:animate-none" />
            ) : (
              <div
                className={`h-full rounded-full transition-[width] duration-300 ${BAR_COLOR[phase ?? "running"]}`}
                style={{ width: `${percent}%` }}
              />
            )}
          </div>
          <div className="mt-2 flex justify-between text-sm text-neutral-600">
            {indeterminate ? (
              <span>{processed > 0 ? `${formatCount(processed)} processed, counting…` : "Counting items…"}</span>
            ) : (
              <>
                <span data-testid="sync-fraction">
                  {formatCount(processed)} / {formatCount(total)}
                </span>
                <span data-testid="sync-percent">{percent}%</span>
              </>
            )}
          </div>
        </div>

        {/* Counters */}
        <dl className="mb-4 grid grid-cols-3 gap-3">
          <div className="flex flex-col-reverse rounded-xl bg-neutral-50 py-3 text-center">
            <dt className="text-xs text-neutral-500">Found</dt>
            <dd data-testid="sync-found" className="text-2xl font-semibold tabular-nums text-neutral-900">
              {formatCount(total)}
            </dd>
          </div>
          <div className="flex flex-col-reverse rounded-xl bg-neutral-50 py-3 text-center">
            <dt className="text-xs text-neutral-500">Processed</dt>
            <dd data-testid="sync-processed" className="text-2xl font-semibold tabular-nums text-green-700">
              {formatCount(processed)}
            </dd>
          </div>
          <div className="flex flex-col-reverse rounded-xl bg-neutral-50 py-3 text-center">
            <dt className="text-xs text-neutral-500">Failed</dt>
            <dd data-testid="sync-failed" className={`text-2xl font-semibold tabular-nums ${failed > 0 ? "text-red-600" : "text-neutral-400"}`}>
              {formatCount(failed)}
            </dd>
          </div>
        </dl>

        {failures.length > 0 ? (
          <div data-testid="sync-failures" className="mb-4 rounded-xl border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900">
            <p className="mb-1 font-medium">Items that could not be synced</p>
            <ul className="space-y-1">
              {failures.map((f) => (
                <li key={f.external_id} className="truncate" title={`${f.title ?? f.external_id}: ${f.reason}`}>
                  <span className="font-medium">{f.title ?? f.external_id}</span>: {f.reason}
                </li>
              ))}
            </ul>
            {(progress?.failed_items ?? 0) > failures.length ? (
              <p className="mt-1 text-xs text-amber-800">and {formatCount((progress?.failed_items ?? 0) - failures.length)} more</p>
            ) : null}
          </div>
        ) : null}

        {/* Outcome boxes */}
        {phase === "error" || (progress?.error_message && phase !== "complete") ? (
          <div data-testid="sync-error" role="alert" className="mb-4 rounded-xl border border-red-200 bg-red-50 p-4 text-sm text-red-800">
            {progress?.error_message || "The sync failed."}
          </div>
        ) : null}

        {phase === "complete" ? (
          <div data-testid="sync-success" role="status" className="mb-4 rounded-xl border border-green-200 bg-green-50 p-4 text-sm text-green-800">
            <p>Sync completed successfully! {formatCount(processed)} items processed.</p>
            {failed > 0 ? (
              <p className="mt-1 text-green-900/80">
                {formatCount(failed)} {failed === 1 ? "item" : "items"} could not be processed.
              </p>
            ) : null}
          </div>
        ) : null}

        {phase === "cancelled" ? (
          <div data-testid="sync-cancelled" role="status" className="mb-4 rounded-xl border border-neutral-200 bg-neutral-50 p-4 text-sm text-neutral-700">
            Sync cancelled. {formatCount(processed)} {processed === 1 ? "item was" : "items were"} processed before it stopped.
          </div>
        ) : null}

        {trackingError ? (
          <div data-testid="sync-lost" role="alert" className="mb-4 rounded-xl border border-amber-200 bg-amber-50 p-4 text-sm text-amber-900">
            {trackingError}
          </div>
        ) : null}

        {cancelError ? (
          <div data-testid="sync-cancel-error" role="alert" className="mb-4 rounded-xl border border-red-200 bg-red-50 p-3 text-sm text-red-800">
            {cancelError}
          </div>
        ) : null}

        {connection === "reconnecting" && running ? (
          <p data-testid="sync-reconnecting" role="status" className="mb-4 flex items-center justify-center gap-1.5 text-xs text-neutral-500">
            <Loader2 aria-hidden className="h-3 w-3 animate-spin motion-reduce:animate-none" />
            Reconnecting…
          </p>
        ) : null}

        {/* Footer */}
        {running ? (
          <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
            <button
              type="button"
              onClick={() => onCloseRef.current()}
              data-testid="sync-hide"
              className="rounded-lg px-4 py-2 text-sm font-medium text-neutral-700 ring-1 ring-neutral-300 hover:bg-neutral-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-600"
            >
              Run in background
            </button>
            <button
              type="button"
              onClick={cancel}
              disabled={cancelState !== "idle"}
              data-testid="sync-cancel"
              className="rounded-lg bg-white px-4 py-2 text-sm font-medium text-red-700 ring-1 ring-red-200 hover:bg-red-50 disabled:cursor-not-allowed disabled:opacity-60 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-600"
            >
              {cancelState === "idle" ? "Cancel sync" : "Cancelling…"}
            </button>
          </div>
        ) : phase === "complete" && closeIn !== null ? (
          <p data-testid="sync-autoclose" className="text-center text-xs text-neutral-500">
            Closing in {closeIn} s…
          </p>
        ) : null}
      </div>
    </div>
  );
}

export default SyncProgressModal;
