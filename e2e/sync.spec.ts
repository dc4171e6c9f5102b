// The user story of issue #2, in real Chromium: sign up, connect the GitHub sandbox, sync,
// watch the modal count up, reload mid-sync, see it finish and the card update.
import { expect, test } from "@playwright/test";
import { expectNoAxeViolations, expectNoHorizontalScroll } from "./helpers";

test("a new user syncs GitHub and watches it live, across a reload", async ({ page }) => {
  const email = `e2e-${Date.now()}@example.test`;
  await page.goto("/sign-in");
  await expectNoAxeViolations(page, "sign-in");
  // A favicon, in both places browsers look.
  expect((await page.request.get("/favicon.ico")).status()).toBe(200);
  await expect(page.locator('link[rel="icon"][href*="icon.svg"]')).toHaveCount(1);
  await page.goto("/sign-up");
  await expectNoAxeViolations(page, "sign-up");
  await page.getByLabel("Name").fill("E2E User");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/integrations$/);

  for (const type of ["gmail", "slack", "box", "github"]) await expect(page.getByTestId(`card-${type}`)).toBeVisible();
  await expectNoHorizontalScroll(page, "integrations");
  await expectNoAxeViolations(page, "integrations");
  // No operator hints on the cards: a quiet note at most.
  await expect(page.getByTestId("card-gmail")).not.toContainText("CLIENT_ID");

  await page.getByTestId("connect-github").click();
  await expect(page.getByTestId("sync-github")).toBeEnabled();
  // A scenario slow enough to watch: 600 items over ~16 requests of 600 ms.
  const scenario = await page.request.put("/api/integrations/github/sandbox", {
    data: { items: 600, latency_ms: 600, fault: "none" },
  });
  expect(scenario.status()).toBe(200);

  await page.getByTestId("sync-github").click();
  const modal = page.getByTestId("sync-modal");
  await expect(modal).toBeVisible();
  await expect(page.getByTestId("sync-title")).toHaveText("Syncing GitHub");
  // Live: the processed counter moves while the run is still going.
  await expect.poll(async () => Number((await page.getByTestId("sync-processed").textContent())?.replace(/\D/g, "") || 0)).toBeGreaterThan(0);
  await expect(modal).not.toHaveAttribute("data-status", "complete");
  const percentBefore = await page.getByTestId("sync-percent").textContent();
  expect(percentBefore).toMatch(/\d+%/);
  // Found is never less than processed + failed.
  const n = async (id: string) => Number((await page.getByTestId(id).textContent())?.replace(/\D/g, "") || 0);
  expect(await n("sync-found")).toBeGreaterThanOrEqual((await n("sync-processed")) + (await n("sync-failed")));

  // Reloading mid-sync re-opens the modal on the same running sync.
  await page.reload();
  await expect(page.getByTestId("sync-modal")).toBeVisible();
  await expect(page.getByTestId("sync-modal")).toHaveAttribute("data-status", "complete", { timeout: 60_000 });
  await expect(page.getByTestId("sync-title")).toHaveText("GitHub synced");
  await expect(page.getByTestId("sync-success")).toHaveText("600 items synced (600 new, 0 updated, 0 removed).");
  await expect(page.getByTestId("sync-found")).toHaveText(/600/);
  await expect(page.getByTestId("sync-failed")).toHaveText(/0/);

  // It closes itself after 3 s, and the card shows the result without a reload.
  await expect(page.getByTestId("sync-modal")).toBeHidden({ timeout: 6000 });
  await expect(page.getByTestId("items-github")).toContainText("600");
  await expect(page.getByTestId("last-sync-github")).toHaveText("just now");
  await expect(page.getByTestId("last-status-github")).toHaveText("· Succeeded");
});

test("cancel stops a running sync and says so", async ({ page }) => {
  await page.goto("/sign-up");
  await page.getByLabel("Name").fill("Cancel User");
  await page.getByLabel("Email").fill(`e2e-cancel-${Date.now()}@example.test`);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/integrations$/);
  await page.getByTestId("connect-github").click();
  await expect(page.getByTestId("sync-github")).toBeEnabled();
  await page.request.put("/api/integrations/github/sandbox", { data: { items: 2000, latency_ms: 1500, fault: "none" } });
  await page.getByTestId("sync-github").click();
  await expect(page.getByTestId("sync-modal")).toBeVisible();
  await expect(page.getByTestId("sync-title")).toHaveText("Syncing GitHub");
  await expectNoAxeViolations(page, "sync modal, running"); // slow enough here: 2,000 items at 1.5 s a request
  await page.getByTestId("sync-cancel").click();
  await expect(page.getByTestId("sync-modal")).toHaveAttribute("data-status", "cancelled");
  await expect(page.getByTestId("sync-title")).toHaveText("Sync cancelled");
  await expectNoAxeViolations(page, "sync modal, cancelled");
  await page.getByTestId("sync-close").click();
  await expect(page.getByTestId("sync-modal")).toBeHidden();
  await expect(page.getByTestId("sync-github")).toBeEnabled();
  // Focus is back on the control that opened the dialog.
  await expect(page.getByTestId("sync-github")).toBeFocused();
});
