// The user story of issue #2, in real Chromium: sign up, connect the GitHub sandbox, sync,
// watch the modal count up, reload mid-sync, see it finish and the card update.
import { expect, test } from "@playwright/test";

test("a new user syncs GitHub and watches it live, across a reload", async ({ page }) => {
  const email = `e2e-${Date.now()}@example.test`;
  await page.goto("/sign-up");
  await page.getByLabel("Name").fill("E2E User");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/integrations$/);

  for (const type of ["gmail", "slack", "box", "github"]) await expect(page.getByTestId(`card-${type}`)).toBeVisible();

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
  await expect(modal).toContainText("Syncing GitHub");
  // Live: the processed counter moves while the run is still going.
  await expect.poll(async () => Number((await page.getByTestId("sync-processed").textContent())?.replace(/\D/g, "") || 0)).toBeGreaterThan(0);
  await expect(modal).not.toHaveAttribute("data-status", "complete");
  const percentBefore = await page.getByTestId("sync-percent").textContent();
  expect(percentBefore).toMatch(/\d+%/);

  // Reloading mid-sync re-opens the modal on the same running sync.
  await page.reload();
  await expect(page.getByTestId("sync-modal")).toBeVisible();
  await expect(page.getByTestId("sync-modal")).toHaveAttribute("data-status", "complete", { timeout: 60_000 });
  await expect(page.getByTestId("sync-success")).toContainText("600 items processed");
  await expect(page.getByTestId("sync-found")).toHaveText(/600/);
  await expect(page.getByTestId("sync-failed")).toHaveText(/0/);

  // It closes itself after 3 s, and the card shows the result without a reload.
  await expect(page.getByTestId("sync-modal")).toBeHidden({ timeout: 6000 });
  await expect(page.getByTestId("items-github")).toContainText("600");
  await expect(page.getByTestId("last-sync-github")).not.toBeEmpty();
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
  await page.getByTestId("sync-cancel").click();
  await expect(page.getByTestId("sync-modal")).toHaveAttribute("data-status", "cancelled");
  await page.getByTestId("sync-close").click();
  await expect(page.getByTestId("sync-modal")).toBeHidden();
  await expect(page.getByTestId("sync-github")).toBeEnabled();
});
