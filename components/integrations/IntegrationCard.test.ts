import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import IntegrationCard from "./IntegrationCard";
import IntegrationsBoard from "./IntegrationsBoard";
import type { IntegrationSummary } from "./types";

function summary(patch: Partial<IntegrationSummary> = {}): IntegrationSummary {
  return {
    type: "github",
    label: "GitHub",
    connected: false,
    mode: null,
    status: null,
    status_message: null,
    account_label: null,
    item_count: 0,
    last_sync_at: null,
    last_sync_status: null,
    active_sync_id: null,
    live_available: false,
    sync_available: true,
    ...patch,
  };
}

const noop = () => {};
const render = (it: IntegrationSummary, modalOpen = false) =>
  renderToStaticMarkup(createElement(IntegrationCard, { integration: it, modalOpen, onConnect: noop, onSync: noop, onViewProgress: noop }));

describe("IntegrationCard", () => {
  it("not connected: Connect sandbox only", () => {
    const html = render(summary());
    expect(html).toContain('data-testid="card-github"');
    expect(html).toContain('data-testid="connect-github"');
    expect(html).toContain("Connect sandbox");
    expect(html).not.toContain('data-testid="sync-github"');
    expect(html).toMatch(/data-testid="items-github"[^>]*>0 items</);
    expect(html).toMatch(/data-testid="last-sync-github"[^>]*>Never</);
  });

  it("connected: Sync, Sandbox badge, item count, relative last sync with ISO title", () => {
    const iso = new Date(Date.now() - 120_000).toISOString();
    const html = render(
      summary({ connected: true, mode: "sandbox", status: "connected", account_label: "sandbox-user", item_count: 1234, last_sync_at: iso, last_sync_status: "complete" }),
    );
    expect(html).toContain('data-testid="sync-github"');
    expect(html).not.toContain('data-testid="connect-github"');
    expect(html).toContain("Sandbox");
    expect(html).toContain("1,234 items");
    expect(html).toContain(`title="${iso}"`);
    expect(html).toContain("2 minutes ago");
    expect(html).toContain("Succeeded");
  });

  it("active sync: Sync disabled as Syncing…, View progress only when the modal is hidden", () => {
    const it = summary({ connected: true, mode: "sandbox", status: "connected", active_sync_id: "s1" });
    const hidden = render(it, false);
    expect(hidden).toMatch(/<button[^>]*data-testid="sync-github"[^>]*disabled/);
    expect(hidden).toContain("Syncing…");
    expect(hidden).toContain("View progress");
    expect(render(it, true)).not.toContain("View progress");
  });

  it("not available in this version: no buttons", () => {
    const html = render(summary({ type: "box", label: "Box", sync_available: false }));
    expect(html).not.toContain('data-testid="connect-box"');
    expect(html).toContain("Not available in this version yet.");
  });

  it("board renders one card per integration", () => {
    const html = renderToStaticMarkup(
      createElement(IntegrationsBoard, {
        initial: [summary({ type: "gmail", label: "Gmail" }), summary({ type: "slack", label: "Slack" }), summary({ type: "box", label: "Box" }), summary()],
      }),
    );
    for (const t of ["gmail", "slack", "box", "github"]) expect(html).toContain(`data-testid="card-${t}"`);
  });
});
