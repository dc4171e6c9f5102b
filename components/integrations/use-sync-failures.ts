"use client";

// The first failed items of a sync, with reasons: fetched when the failed count changes,
// at most every 2 s while running, and once more when the sync ends.
import { useEffect, useRef, useState } from "react";
import type { FailureItem } from "@/lib/contract/api";
import { getSyncFailures } from "@/components/api-client";

export type { FailureItem };

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
      const r = await getSyncFailures(syncId, controller.signal);
      // aborted or offline: the next change tries again
      if (r.ok && Array.isArray(r.body.failures)) setItems(r.body.failures.slice(0, limit));
    }, wait);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [syncId, failedCount, finished, limit]);

  return failedCount > 0 ? items : [];
}
