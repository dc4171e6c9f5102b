"use client";

// React wrapper around trackSyncProgress: one tracker per sync id, torn down on
// unmount or when the id changes.
import { useCallback, useEffect, useReducer, useRef } from "react";
import type { ProgressData } from "@/lib/contract";
import { initialSyncProgressState, phaseOf, syncProgressReducer, type ConnectionState, type SyncPhase } from "./progress-reducer";
import { trackSyncProgress } from "./progress-tracker";

export type { ConnectionState, SyncPhase } from "./progress-reducer";
export { POLL_INTERVAL_MS } from "./progress-tracker";

export interface UseSyncProgressResult {
  progress: ProgressData | null;
  connection: ConnectionState;
  /** A terminal event (complete / error / cancelled) has arrived; the stream is closed. */
  finished: boolean;
  phase: SyncPhase | null;
  /** Tracking stopped for good without a terminal state (unknown sync, signed out). */
  error: string | null;
  /** Feed a ProgressData obtained elsewhere (e.g. the cancel answer). */
  applySnapshot: (data: ProgressData) => void;
}

export function useSyncProgress(syncId: string | null): UseSyncProgressResult {
  const [state, dispatch] = useReducer(syncProgressReducer, initialSyncProgressState);
  const applyRef = useRef<(data: ProgressData) => void>(() => {});

  useEffect(() => {
    dispatch({ type: "reset", syncId });
    if (!syncId) return;
    const tracker = trackSyncProgress(syncId, dispatch);
    applyRef.current = tracker.applySnapshot;
    return () => {
      applyRef.current = () => {};
      tracker.stop();
    };
  }, [syncId]);

  const applySnapshot = useCallback((data: ProgressData) => applyRef.current(data), []);

  const current = state.syncId === syncId ? state : { ...initialSyncProgressState, syncId };
  return {
    progress: current.progress,
    connection: syncId ? current.connection : "closed",
    finished: current.finished,
    phase: phaseOf(current.progress?.status),
    error: current.fatal,
    applySnapshot,
  };
}
