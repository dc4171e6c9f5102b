"use client";

import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from "react";
import { Ban, CheckCircle, Clock, Loader2, WifiOff, X, XCircle } from "lucide-react";
import type { ProgressData } from "@/lib/contract";
import type { SyncPhase } from "./progress-reducer";
import { useSyncProgress } from "./use-sync-progress";
import { useSyncFailures } from "./use-sync-failures";
import { connectorLabel, formatCount } from "./labels";
import { modalView } from "./modal-view";
import { Counters, Details, FailuresBox } from "./SyncModalParts";
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
  const cls = "h-10 w-10";
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
  return { ok: false, error: r.error ?? "Could not cancel the sync. Try again in a moment." };
}

export function SyncProgressModal({ syncId, connectorType, onClose, onFinished }: SyncProgressModalProps) {
  const { progress, connection, finished, phase, error: trackingError, applySnapshot } = useSyncProgress(syncId);
  const titleId = useId();
  const stageId = useId();
  const outcomeId = useId();
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

  // One ticking clock for the rate-limit countdown: the stage words are computed from retry_at and it.
  const now = useNow(phase === "rate_limited");

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

  // Focus: move into the dialog. Giving it back is the opener's job (IntegrationsBoard), which
  // knows the control that opened it even when that control was disabled meanwhile.
  useEffect(() => {
    dialogRef.current?.focus();
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
  const view = modalView(progress, phase, { connectorType, now, lost: Boolean(trackingError) });
  const indeterminate = running && view.percent === null;
  const percent = view.percent ?? 0;
  const describedBy = running ? stageId : outcomeId;

  return (
    <div className="fixed inset-0 z-50 flex items-end justify-center bg-neutral-900/50 backdrop-blur-[1px] sm:items-center sm:p-4">
      <div
        ref={dialogRef}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={describedBy}
        tabIndex={-1}
        onKeyDown={trapTab}
        data-testid="sync-modal"
        data-status={progress?.status ?? "loading"}
        data-phase={phase ?? "loading"}
        data-connection={connection}
        className="max-h-[92dvh] w-full overflow-y-auto rounded-t-2xl bg-white p-5 pb-[max(1.25rem,env(safe-area-inset-bottom))] shadow-xl outline-none ring-1 ring-neutral-200 sm:max-h-[calc(100dvh-2rem)] sm:max-w-md sm:rounded-2xl sm:p-6"
      >
        {/* Header: the title follows the state; the close button is always there (while running it only hides). */}
        <div className="mb-4 flex items-center justify-between gap-3">
          <h2 id={titleId} data-testid="sync-title" className="min-w-0 text-lg font-semibold text-neutral-900">
            {view.title}
          </h2>
          <button
            type="button"
            onClick={() => onCloseRef.current()}
            aria-label={running ? "Hide (the sync keeps running)" : "Close"}
            title={running ? "Hide — the sync keeps running" : "Close"}
            data-testid="sync-close"
            className="-mr-1 shrink-0 rounded-md p-2 text-neutral-500 hover:bg-neutral-100 hover:text-neutral-700 focus-visible:outline-2 focus-visible:outline-blue-600"
          >
            <X aria-hidden className="h-5 w-5" />
          </button>
        </div>

        <div className="mb-3 flex justify-center">
          {trackingError && !progress ? <WifiOff aria-hidden className="h-10 w-10 text-neutral-500" /> : <StatusIcon phase={phase} />}
        </div>

        {/* How it ended: one sentence, with the technical side behind "Details". */}
        {phase === "error" ? (
          <div id={outcomeId} data-testid="sync-error" role="alert" className="mb-4 rounded-xl border border-red-200 bg-red-50 p-4 text-sm text-red-800">
            <p>{view.outcome}</p>
            <Details text={progress?.error_detail} testId="sync-error-details" tone="red" />
          </div>
        ) : null}
        {phase === "complete" ? (
          <div id={outcomeId} data-testid="sync-success" role="status" className="mb-4 rounded-xl border border-green-200 bg-green-50 p-4 text-sm text-green-800">
            {view.outcome}
          </div>
        ) : null}
        {phase === "cancelled" ? (
          <div id={outcomeId} data-testid="sync-cancelled" role="status" className="mb-4 rounded-xl border border-neutral-200 bg-neutral-50 p-4 text-sm text-neutral-700">
            {view.outcome}
          </div>
        ) : null}
        {trackingError ? (
          <div id={phase ? undefined : outcomeId} data-testid="sync-lost" role="alert" className="mb-4 rounded-xl border border-amber-200 bg-amber-50 p-4 text-sm text-amber-900">
            {trackingError}
          </div>
        ) : null}

        {/* Stage, current item and time left (running only): one live region. */}
        {running ? (
          <div className="mb-4 text-center" aria-live="polite">
            <p id={stageId} data-testid="sync-stage" className={`text-base font-medium ${phase === "rate_limited" ? "text-amber-800" : "text-neutral-900"}`}>
              {view.stage}
            </p>
            {progress?.current_item ? (
              <p data-testid="sync-current-item" title={progress.current_item} className="mt-1 truncate text-sm text-neutral-600">
                {progress.current_item}
              </p>
            ) : null}
            {view.timeLeft ? (
              <p data-testid="sync-eta" className="mt-1 text-sm text-neutral-600">
                {view.timeLeft}
              </p>
            ) : null}
          </div>
        ) : null}

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
              <div className={`h-full rounded-full transition-[width] duration-300 ${BAR_COLOR[phase ?? "running"]}`} style={{ width: `${percent}%` }} />
            )}
          </div>
          <div className="mt-2 flex justify-between gap-3 text-sm text-neutral-600">
            {indeterminate ? (
              <span>{view.processed > 0 ? `${formatCount(view.processed)} processed, counting…` : "Counting items…"}</span>
            ) : (
              <>
                <span data-testid="sync-fraction">
                  {formatCount(view.processed + view.failed)} of {formatCount(view.found)} done
                </span>
                <span data-testid="sync-percent">{percent}%</span>
              </>
            )}
          </div>
        </div>

        <Counters counting={view.counting} found={view.found} processed={view.processed} failed={view.failed} />

        <FailuresBox failures={failures} failedCount={view.failed} />

        {cancelError ? (
          <div data-testid="sync-cancel-error" role="alert" className="mb-4 rounded-xl border border-red-200 bg-red-50 p-3 text-sm text-red-800">
            {cancelError}
          </div>
        ) : null}

        {connection === "reconnecting" && running ? (
          <p data-testid="sync-reconnecting" role="status" className="mb-4 flex items-center justify-center gap-1.5 text-xs text-neutral-600">
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
          <p data-testid="sync-autoclose" className="text-center text-xs text-neutral-600">
            Closing in {closeIn} s…
          </p>
        ) : null}
      </div>
    </div>
  );
}

export default SyncProgressModal;
