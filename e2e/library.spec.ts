// Issue #9 in real Chromium: the Library refreshes by itself when a sandbox GitHub sync ends,
// a search for a known seeded subject finds it and links to it on github.com, and the
// Integrations card shows the run in its history.
import { expect, test } from "@playwright/test";
import { DEFAULT_LOGIN, makeIssue } from "../lib/sandbox/github/data";

test("search the Library after a sandbox GitHub sync, open the item at GitHub, see the run in History", async ({ page }) => {
  await page.goto("/sign-up");
  await page.getByLabel("Name").fill("Library User");
  await page.getByLabel("Email").fill(`e2e-library-${Date.now()}@example.test`);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/integrations$/);

  await page.getByRole("link", { name: "Library" }).click();
  await expect(page).toHaveURL(/\/library/);
  await expect(page.getByTestId("library-empty")).toBeVisible();

  // Sync in the background while the Library is open: it picks the new documents up by itself.
  expect((await page.request.post("/api/integrations/github/connect", { data: { mode: "sandbox" } })).status()).toBe(200);
  expect((await page.request.put("/api/integrations/github/sandbox", { data: { items: 40, latency_ms: 5, fault: "none" } })).status()).toBe(200);
  expect((await page.request.post("/api/integrations/github/sync", { data: {} })).status()).toBe(202);
  await expect(page.getByTestId("library-result").first()).toBeVisible({ timeout: 45_000 });
  await expect(page.getByTestId("library-result")).toHaveCount(20);

  // The seeded first item of the sandbox (deterministic): search for its subject.
  const seeded = makeIssue(DEFAULT_LOGIN, 0, 0);
  expect(seeded.html_url).toMatch(/^https:\/\/github\.com\//);
  await page.getByTestId("library-search").fill(seeded.title);
  await expect(page).toHaveURL(/[?&]q=/);
  const link = page.locator(`[data-testid="library-result-link"][href="${seeded.html_url}"]`);
  await expect(link).toBeVisible();
  await expect(link).toHaveAttribute("target", "_blank");
  await expect(link).toHaveAttribute("rel", /noopener/);
  // Shown as text (titles carry things like <b>…</b> and <script>…</script> on purpose), highlighted.
  await expect(link).toContainText(seeded.title);
  expect(await link.locator("mark").count()).toBeGreaterThan(0);

  // Filters: GitHub items only; no Gmail.
  await page.getByTestId("library-filter-provider").selectOption("gmail");
  await expect(page.getByTestId("library-empty")).toBeVisible();
  await page.getByTestId("library-filter-provider").selectOption("github");
  await expect(link).toBeVisible();

  // History on the Integrations card: one completed run of 40 items.
  await page.getByRole("link", { name: "Integrations" }).click();
  await page.getByTestId("history-github").click();
  const rows = page.getByTestId("history-row");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute("data-status", "complete");
  await expect(rows.first()).toHaveAttribute("data-processed", "40");
  await expect(rows.first()).toContainText("Completed");
  await expect(page.getByTestId("history-chart")).toBeVisible();
});
