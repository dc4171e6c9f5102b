// Server-side renders of the modal in each state (the hook is mocked), so the
// markup contract (test ids, progressbar semantics, texts) is checked without a browser.
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it, vi } from "vitest";
import type { ProgressData } from "../../lib/contract";
import type { UseSyncProgressResult } from "./use-sync-progress";
import { phaseOf } from "./progress-reducer";

let hookResult: UseSyncProgressResult;
vi.mock("./use-sync-progress", () => ({ useSyncProgress: () => hookResult }));

const { default: SyncProgressModal } = await import("./SyncProgressModal");

function pd(patch: Partial<ProgressData> = {}): ProgressData {
  return {
    sync_id: "s1",
    connector_type: "github",
    status: "syncing",
    stage: "Fetching issues…",
    total_items: 200,
    processed_items: 50,
    failed_items: 2,
    current_item: "Issue #12: Fix login",
    percent_complete: 25,
    started_at: "2026-01-01T00:00:00.000Z",
    ...patch,
  };
}

function render(progress: ProgressData | null, extra: Partial<UseSyncProgressResult> = {}): string {
  const finished = progress ? ["complete", "error", "cancelled"].includes(progress.status) : false;
  hookResult = {
    progress,
    connection: finished ? "closed" : "open",
    finished,
    phase: phaseOf(progress?.status),
    error: null,
    applySnapshot: () => {},
    ...extra,
  };
  return renderToStaticMarkup(createElement(SyncProgressModal, { syncId: "s1", connectorType: "github", onClose: () => {} }));
}

const testid = (html: string, id: string) => new RegExp(`data-testid="${id}"`).test(html);

describe("SyncProgressModal markup", () => {
  it("loading: dialog semantics, indeterminate bar, hide + cancel", () => {
    const html = render(null);
    expect(html).toContain('role="dialog"');
    expect(html).toContain('aria-modal="true"');
    expect(html).toMatch(/aria-labelledby="[^"]+"/);
    expect(html).toContain('data-status="loading"');
    expect(html).toContain("Syncing GitHub");
    expect(html).toContain('role="progressbar"');
    expect(html).not.toContain("aria-valuenow");
    expect(html).not.toContain("0%");
    expect(testid(html, "sync-hide")).toBe(true);
    expect(testid(html, "sync-cancel")).toBe(true);
    // The × is always there; while the sync runs it only hides the modal.
    expect(html).toMatch(/data-testid="sync-close"[^>]*>|aria-label="Hide \(the sync keeps running\)"/);
    expect(html).toContain('aria-label="Hide (the sync keeps running)"');
    // Nothing counted yet: "counting…", never a 0 Found.
    expect(html).toMatch(/data-testid="sync-found"[^>]*>counting…</);
  });

  it("running with a known total: determinate bar, counters, current item", () => {
    const html = render(pd());
    expect(html).toContain('data-status="syncing"');
    expect(html).toContain('aria-valuenow="26"'); // (50 + 2) / 200, from the numbers shown
    expect(html).toMatch(/data-testid="sync-percent"[^>]*>26%</);
    expect(html).toMatch(/data-testid="sync-found"[^>]*>200</);
    expect(html).toMatch(/data-testid="sync-processed"[^>]*>50</);
    expect(html).toMatch(/data-testid="sync-failed"[^>]*>2</);
    expect(html).toMatch(/data-testid="sync-stage"[^>]*>Fetching issues…</);
    expect(html).toContain("Issue #12: Fix login");
    expect(html).toContain("Cancel sync");
    expect(html).toContain("Run in background");
  });

  it("running with total 0: indeterminate, never 0%", () => {
    const html = render(pd({ total_items: 0, processed_items: 0, failed_items: 0, percent_complete: 0, status: "connecting" }));
    expect(html).not.toContain("aria-valuenow");
    expect(html).not.toContain("0%");
    expect(html).toContain('data-indeterminate="true"');
  });

  it("rate limited: countdown from retry_at", () => {
    const retry = new Date(Date.now() + 12_000).toISOString();
    const html = render(pd({ status: "rate_limited", retry_at: retry, stage: "Rate limited" }));
    expect(html).toMatch(/resuming in 1[12] s/);
  });

  it("reconnecting hint", () => {
    expect(render(pd(), { connection: "reconnecting" })).toContain("Reconnecting…");
    expect(render(pd())).not.toContain("Reconnecting…");
  });

  it("complete: success box, close button, no cancel", () => {
    const html = render(pd({ status: "complete", processed_items: 198, percent_complete: 100, current_item: undefined }));
    expect(html).toMatch(/data-testid="sync-title"[^>]*>GitHub synced</);
    expect(html).toMatch(/data-testid="sync-success"[^>]*>198 items synced; 2 items could not be synced.</);
    expect(html).not.toContain("Syncing GitHub");
    expect(testid(html, "sync-close")).toBe(true);
    expect(testid(html, "sync-cancel")).toBe(false);
    expect(testid(html, "sync-hide")).toBe(false);
    expect(html).toContain('aria-valuenow="100"');
  });

  it("error: error box with the message", () => {
    const html = render(pd({ status: "error", error_message: "No progress for 120 s; the sync was stopped." }));
    expect(html).toMatch(/data-testid="sync-error"[^>]*><p>No progress for 120 s; the sync was stopped.</);
    expect(html).toMatch(/data-testid="sync-title"[^>]*>GitHub sync failed</);
    expect(testid(html, "sync-close")).toBe(true);
    expect(testid(html, "sync-success")).toBe(false);
  });

  it("cancelled: cancelled box", () => {
    const html = render(pd({ status: "cancelled" }));
    expect(html).toContain('data-status="cancelled"');
    expect(testid(html, "sync-cancelled")).toBe(true);
    expect(html).toMatch(/data-testid="sync-title"[^>]*>Sync cancelled</);
    expect(html).toContain("Stopped after 52 of 200 items.");
    expect(testid(html, "sync-error")).toBe(false);
  });

  it("found is never less than processed + failed; percent from the same numbers", () => {
    const html = render(pd({ total_items: 0, processed_items: 105, failed_items: 0, percent_complete: 0, counting: false }));
    expect(html).toMatch(/data-testid="sync-found"[^>]*>105</);
    expect(html).toMatch(/data-testid="sync-percent"[^>]*>99%</);
  });

  it("time left only from a numeric eta_s", () => {
    expect(render(pd({ eta_s: 185 }))).toMatch(/data-testid="sync-eta"[^>]*>about 3 min left</);
    expect(testid(render(pd()), "sync-eta")).toBe(false);
  });

  it("error with a technical detail: person words first, the detail behind Details", () => {
    const html = render(pd({ status: "error", error_message: "GitHub is not answering. Try again later.", error_detail: "HTTP 503 after 4 attempts" }));
    expect(html).toContain("GitHub is not answering. Try again later.");
    expect(html).toMatch(/<details[^>]*data-testid="sync-error-details"[\s\S]*Details[\s\S]*HTTP 503 after 4 attempts/);
  });

  it("a re-sync with nothing new says Already up to date, once", () => {
    const html = render(pd({ status: "complete", total_items: 0, processed_items: 0, failed_items: 0, percent_complete: 100 }));
    expect(html).toContain("Already up to date");
    expect(html).not.toContain("0 items synced");
  });

  it("tracking lost: message and a close button", () => {
    const html = render(null, { error: "This sync could not be found.", connection: "closed" });
    expect(html).toContain("This sync could not be found.");
    expect(testid(html, "sync-close")).toBe(true);
  });
});
