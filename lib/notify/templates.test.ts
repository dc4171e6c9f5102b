import { describe, expect, it } from "vitest";
import {
  MAX_FAILED_ITEMS,
  escapeHtml,
  failureAdvice,
  renderSyncComplete,
  renderSyncFailed,
  type RunEmailInput,
} from "@/lib/notify/templates";

const APP = "https://brain.example.com";

function input(patch: Partial<RunEmailInput> = {}): RunEmailInput {
  return {
    connectorType: "github",
    provider: "GitHub",
    totalItems: 1240,
    processedItems: 1234,
    failedItems: 6,
    startedAt: new Date("2026-11-29T10:00:00Z"),
    finishedAt: new Date("2026-11-29T10:01:23Z"),
    errorMessage: null,
    notes: [],
    failures: [],
    appUrl: APP,
    ...patch,
  };
}

const XSS = `<img src=x onerror=alert(1)>`;

/** The visible text of the HTML part, roughly as a mail client shows it. */
function visibleText(html: string): string {
  return html
    .replace(/<div style="display:none[^>]*>.*?<\/div>/, "")
    .replace(/<title>.*?<\/title>/, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");
}

describe("escapeHtml", () => {
  it.each([
    ["<b>", "&lt;b&gt;"],
    [`a & "b" 'c'`, "a &amp; &quot;b&quot; &#39;c&#39;"],
    [XSS, "&lt;img src=x onerror=alert(1)&gt;"],
    ["plain", "plain"],
  ])("%j -> %j", (raw, escaped) => expect(escapeHtml(raw)).toBe(escaped));
});

describe("completion email", () => {
  it.each([
    [{ processedItems: 1234, failedItems: 0 }, "GitHub sync complete — 1,234 items"],
    [{ processedItems: 1, failedItems: 0 }, "GitHub sync complete — 1 item"],
    [{ processedItems: 36, failedItems: 4 }, "GitHub sync complete — 36 items, 4 failed"],
    // Nothing new: the same words as the modal and the history, not "complete — 0 items".
    [{ processedItems: 0, failedItems: 0, provider: "Slack" }, "Slack: already up to date"],
  ])("subject for %j is %j", (patch, subject) => {
    expect(renderSyncComplete(input(patch)).subject).toBe(subject);
  });

  it("states found, processed, failed, duration and links back to Integrations", () => {
    const { html, text } = renderSyncComplete(input());
    const visible = visibleText(html);
    expect(visible).toMatch(/1,240 Found/);
    expect(visible).toMatch(/1,234 Processed/);
    expect(visible).toMatch(/6 Failed/);
    expect(visible).toMatch(/1 min Duration/);
    expect(html).toContain(`href="${APP}/integrations"`);
    expect(text).toContain(`Open Integrations: ${APP}/integrations`);
    expect(text).toMatch(/^Found: +1,240$/m);
    expect(text).toMatch(/^Processed: +1,234$/m);
    expect(text).toMatch(/^Failed: +6$/m);
    expect(text).toMatch(/^Duration: +1 min$/m);
  });

  it("found is never less than processed + failed (total unknown while listing)", () => {
    const { text } = renderSyncComplete(input({ totalItems: 0, processedItems: 10, failedItems: 2 }));
    expect(text).toMatch(/^Found: +12$/m);
  });

  it("lists the first five failed items with reasons, and how many more", () => {
    const failures = Array.from({ length: 7 }, (_, i) => ({ externalId: `issue-${i}`, title: i === 2 ? null : `Issue ${i}`, reason: `Reason ${i}` }));
    const { html, text } = renderSyncComplete(input({ failedItems: 9, failures }));
    const visible = visibleText(html);
    expect(visible).toContain(`First ${MAX_FAILED_ITEMS} failed items`);
    for (const i of [0, 1, 3, 4]) expect(visible).toContain(`Issue ${i} Reason ${i}`);
    expect(visible).toContain("issue-2 Reason 2"); // no title: the id
    expect(visible).not.toContain("Issue 5");
    expect(visible).toContain("…and 4 items more.");
    expect(text).toContain("- Issue 0: Reason 0");
    expect(text).not.toContain("Issue 5");
    expect(text).toContain("…and 4 items more.");
  });

  it("says which caps stopped the run early", () => {
    const notes = ["Stopped after 1,000 pages (SYNC_MAX_PAGES); sync again to continue."];
    const { html, text } = renderSyncComplete(input({ notes }));
    expect(visibleText(html)).toContain("Stopped early Stopped after 1,000 pages (SYNC_MAX_PAGES); sync again to continue.");
    expect(text).toContain("Stopped early:\n- Stopped after 1,000 pages (SYNC_MAX_PAGES); sync again to continue.");
  });

  it("shows provider strings as text, never as markup", () => {
    const { html, text } = renderSyncComplete(
      input({
        notes: [`${XSS} channel #general`],
        failures: [
          { externalId: "1", title: XSS, reason: `<script>alert("x")</script>` },
          { externalId: "2", title: `"><a href="javascript:alert(1)">report.pdf</a>`, reason: "bad file" },
        ],
      }),
    );
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<script");
    expect(html).not.toContain('href="javascript:');
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(visibleText(html)).toContain(XSS);
    expect(visibleText(html)).toContain(`<script>alert("x")</script>`);
    // The plain-text part shows them literally (it is never interpreted).
    expect(text).toContain(`- ${XSS}: <script>alert("x")</script>`);
  });

  it("keeps long or multi-line provider strings on one bounded line", () => {
    const { text } = renderSyncComplete(input({ failures: [{ externalId: "1", title: `line1\nline2\r\n${"x".repeat(500)}`, reason: "r" }] }));
    const line = text.split("\n").find((l) => l.startsWith("- line1"))!;
    expect(line).toMatch(/^- line1 line2 x+…: r$/);
    expect(line.length).toBeLessThan(200);
  });

  it("HTML is built for mail clients: tables, inline styles, no external resources", () => {
    const { html } = renderSyncComplete(input({ failures: [{ externalId: "1", title: "t", reason: "r" }] }));
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).toContain('<table role="presentation"');
    expect(html).not.toMatch(/<link|<style|<script|@import|<img|url\(/i);
    expect(html).not.toMatch(/\bclass=/);
    const urls = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
    expect(urls.every((u) => u!.startsWith(APP))).toBe(true);
  });

  it("matches the snapshot (text part)", () => {
    const { text } = renderSyncComplete(
      input({ notes: ["Stopped at 200 channels (SLACK_MAX_CHANNELS)."], failures: [{ externalId: "42", title: "Flaky issue", reason: "HTTP 500" }], failedItems: 1 }),
    );
    expect(text).toMatchInlineSnapshot(`
      "GitHub sync complete

      Found:     1,240
      Processed: 1,234
      Failed:    1
      Duration:  1 min

      Stopped early:
      - Stopped at 200 channels (SLACK_MAX_CHANNELS).

      Failed item:
      - Flaky issue: HTTP 500

      Open Integrations: https://brain.example.com/integrations

      -- 
      2nd Brain · choose which syncs send email: https://brain.example.com/notifications
      "
    `);
  });

  it("matches the snapshot (HTML part)", () => {
    expect(renderSyncComplete(input({ failures: [{ externalId: "42", title: "Flaky issue", reason: "HTTP 500" }], failedItems: 1 })).html).toMatchSnapshot();
  });
});

describe("failure email", () => {
  it.each([
    ["GitHub rejected the saved credentials (HTTP 401). Reconnect GitHub.", "reconnect", `${APP}/integrations`, "Reconnect GitHub"],
    ["GitHub refused access (HTTP 403). Check the permissions and reconnect GitHub.", "reconnect", `${APP}/integrations`, "Reconnect GitHub"],
    ["GitHub's rate limit resets in 42 min, longer than a sync waits; try again later.", "wait", `${APP}/integrations?sync=github`, "Retry the sync"],
    ["GitHub kept failing (HTTP 502) after 2 attempts; try again later.", "retry", `${APP}/integrations?sync=github`, "Retry the sync"],
    // The engine's words since issue 15 (lib/sync/errors.ts forPeople): the same advice.
    ["GitHub no longer accepts 2nd Brain's access. Reconnect GitHub to keep syncing.", "reconnect", `${APP}/integrations`, "Reconnect GitHub"],
    ["GitHub's rate limit resets in about 42 min, longer than a sync waits. Try again after that; the next sync continues where this one stopped.", "wait", `${APP}/integrations?sync=github`, "Retry the sync"],
    ["GitHub is having trouble right now. Try the sync again later; it continues where it stopped.", "retry", `${APP}/integrations?sync=github`, "Retry the sync"],
    ["No progress for 4 s: GitHub stopped answering, so the sync was stopped. Try again later.", "retry", `${APP}/integrations?sync=github`, "Retry the sync"],
    ["The sync stopped on an unexpected problem; try again. If it keeps happening, reconnect GitHub.", "retry", `${APP}/integrations?sync=github`, "Retry the sync"],
  ])("%j -> %s advice", (message, kind, url, label) => {
    const advice = failureAdvice(message, "GitHub", "github", APP);
    expect(advice.kind).toBe(kind);
    expect(advice.action).toEqual({ label, url });
  });

  it("says what went wrong and what to do, with a link that starts a retry", () => {
    const msg = "GitHub kept failing (HTTP 502) after 2 attempts; try again later.";
    const { subject, html, text } = renderSyncFailed(input({ errorMessage: msg, processedItems: 50, failedItems: 0 }));
    expect(subject).toBe("GitHub sync failed");
    const visible = visibleText(html);
    expect(visible).toContain(`What went wrong ${msg}`);
    expect(visible).toContain("What to do This is usually temporary. Try the sync again");
    expect(visible).toContain("50 items were synced before it stopped");
    expect(html).toContain(`href="${APP}/integrations?sync=github"`);
    expect(text).toContain(`What went wrong: ${msg}`);
    expect(text).toContain(`Retry the sync: ${APP}/integrations?sync=github`);
  });

  it("tells to reconnect for a refused token", () => {
    const { html, text } = renderSyncFailed(input({ errorMessage: "GitHub rejected the saved credentials (HTTP 401). Reconnect GitHub." }));
    expect(visibleText(html)).toContain("Reconnect GitHub on the Integrations page, then sync again.");
    expect(text).toContain(`Reconnect GitHub: ${APP}/integrations\n`);
  });

  it("tells to wait out a rate limit", () => {
    const { text } = renderSyncFailed(input({ errorMessage: "GitHub's rate limit resets in 42 min, longer than a sync waits; try again later." }));
    expect(text).toMatch(/What to do: GitHub is limiting how fast we may read right now\. Wait until the limit resets/);
  });

  it("escapes the error text", () => {
    const { html } = renderSyncFailed(input({ errorMessage: `Slack said ${XSS}` }));
    expect(html).not.toContain("<img");
    expect(visibleText(html)).toContain(`Slack said ${XSS}`);
  });

  it("has words even without an error message", () => {
    const { text } = renderSyncFailed(input({ errorMessage: null }));
    expect(text).toContain("What went wrong: The sync stopped on an unexpected problem.");
  });

  it("matches the snapshot (text part)", () => {
    const { text } = renderSyncFailed(input({ errorMessage: "GitHub rejected the saved credentials (HTTP 401). Reconnect GitHub.", processedItems: 0, failedItems: 0, totalItems: 0 }));
    expect(text).toMatchInlineSnapshot(`
      "GitHub sync failed

      What went wrong: GitHub rejected the saved credentials (HTTP 401). Reconnect GitHub.

      What to do: GitHub no longer accepts the saved sign-in. Reconnect GitHub on the Integrations page, then sync again.
      Reconnect GitHub: https://brain.example.com/integrations

      Processed before it stopped: 0 (failed: 0, duration: 1 min)

      -- 
      2nd Brain · choose which syncs send email: https://brain.example.com/notifications
      "
    `);
  });
});
