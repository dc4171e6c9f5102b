"use client";

// The first failed items of a sync, with reasons: fetched when the failed count changes,
// at most every 2 s while running, and once more when the sync ends.
import { useEffect, useRef, useState } from "react";

export interface FailureItem {
  external_id: string;
  title: string | null;
  reason: string;
}

const MIN_INTERVAL_MS = 2000;

export function useSyncFailures(syncId: string, failedCount: number, finished: boolean, limit = 5): FailureItem[] {
  const [items, setItems] = useState<FailureItem[]>([]);
  const lastFetch = useRef(0);

  useEffect(() => {
    if (failedCount <= 0) return;
    const controller = new AbortController();
    const wait = finished ? 0 : Math.max(0, lastFetch.current + MIN_INTERVAL_MS - Date.now());
    const timer = setTimeout(async () => {
      lastFetch.current = Date.now();
      try {
        const res = await fetch(`/api/sync-progress/${encodeURIComponent(syncId)}/failures`, { signal: controller.signal, cache: "no-store" });
        if (!res.ok) return;
        const body = (await res.json()) as { failures?: FailureItem[] };
        if (Array.isArray(body.failures)) setItems(body.failures.slice(0, limit));
      } catch {
        // aborted or offline: the next change tries again
      }
    }, wait);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [syncId, failedCount, finished, limit]);

  return failedCount > 0 ? items : [];
}
