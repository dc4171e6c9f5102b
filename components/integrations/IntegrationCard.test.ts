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
    last_success_at: null,
    last_sync_status: null,
    active_sync_id: null,
    live_available: false,
    not_configured_hint: "Set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET",
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
    expect(html).toContain(`dateTime="${iso}"`);
    expect(html).toMatch(/data-testid="last-sync-github"[^>]*>2 minutes ago</);
    expect(html).toMatch(/data-testid="last-status-github"[^>]*>· Succeeded</);
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

  it("live configured: Connect <Provider> links to the OAuth start, sandbox stays available", () => {
    const html = render(summary({ live_available: true, not_configured_hint: null }));
    expect(html).toMatch(/<a href="\/api\/integrations\/github\/oauth\/start" data-testid="connect-live-github"[^>]*>Connect GitHub<\/a>/);
    expect(html).toContain('data-testid="connect-github"');
    expect(html).not.toContain('data-testid="live-hint-github"');
  });

  it("live not configured: a quiet note for people, no operator settings, no broken button", () => {
    const html = render(summary());
    expect(html).not.toContain("connect-live-github");
    expect(html).toMatch(/data-testid="live-hint-github"[^>]*>Live connection not set up on this server\.</);
    expect(html).not.toContain("GITHUB_CLIENT_ID");
  });

  it("last synced (last success) and last attempt (latest status) apart; never in the future", () => {
    const failedAt = new Date(Date.now() - 60_000).toISOString();
    const okAt = new Date(Date.now() - 3 * 3600_000).toISOString();
    const base = { connected: true, mode: "sandbox" as const, status: "connected" as const, last_sync_at: failedAt, last_sync_status: "error" as const };
    // Both times: the last success, and the failed attempt after it.
    const both = render(summary({ ...base, last_success_at: okAt }));
    expect(both).toMatch(/data-testid="last-sync-github"[^>]*>3 hours ago</);
    expect(both).toMatch(/data-testid="last-attempt-github"[\s\S]*1 minute ago[\s\S]*· Failed/);
    // Never a success: a failed attempt's time is never shown as "Last synced".
    const older = render(summary(base));
    expect(older).toMatch(/data-testid="last-sync-github"[^>]*>Not yet</);
    // A finish stamped a little ahead of this clock reads "just now", not "in a few seconds".
    const ahead = render(summary({ ...base, last_sync_at: new Date(Date.now() + 20_000).toISOString(), last_sync_status: "complete" }));
    expect(ahead).toContain("just now");
    expect(ahead).not.toContain("in ");
  });

  it("live connection needing reauth: Reconnect <Provider>; connected: Disconnect, no paste", () => {
    const withHandlers = (it: IntegrationSummary) =>
      renderToStaticMarkup(
        createElement(IntegrationCard, {
          integration: it,
          onConnect: noop,
          onSync: noop,
          onViewProgress: noop,
          onPasteToken: async () => null,
          onDisconnect: noop,
        }),
      );
    const reauth = withHandlers(summary({ connected: true, mode: "live", status: "needs_reauth", live_available: true, not_configured_hint: null, status_message: "Reconnect GitHub." }));
    expect(reauth).toContain("Reconnect GitHub");
    expect(reauth).toContain('data-testid="paste-token-github"');
    expect(reauth).toContain('data-testid="disconnect-github"');
    const connected = withHandlers(summary({ connected: true, mode: "live", status: "connected" }));
    expect(connected).toContain('data-testid="disconnect-github"');
    expect(connected).not.toContain("paste-token-github");
    expect(connected).toContain("Live");
    // Gmail takes no pasted token.
    const gmail = withHandlers(summary({ type: "gmail", label: "Gmail", not_configured_hint: "Set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET" }));
    expect(gmail).not.toContain("paste-token-gmail");
    expect(gmail).not.toContain("GOOGLE_CLIENT_ID");
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
