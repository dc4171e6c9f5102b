// The README's screenshots (docs/screenshots/*.png), desktop and phone. Not part of a normal run:
//   SCREENSHOTS=1 npx playwright test --project=chromium e2e/screens.spec.ts
import { expect, test, type Page } from "@playwright/test";
import { connectSandbox, signUp } from "./helpers";

test.skip(process.env.SCREENSHOTS !== "1", "set SCREENSHOTS=1 to (re)take the README's screenshots");
test.setTimeout(240_000);

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const dir = "docs/screenshots";

async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  await page.waitForTimeout(300); // let transitions settle
  await page.screenshot({ path: `${dir}/${name}.png`, fullPage });
}

test("screens", async ({ page }) => {
  await page.setViewportSize(DESKTOP);
  await page.goto("/sign-in");
  await shot(page, "sign-in-desktop");
  await page.setViewportSize(PHONE);
  await shot(page, "sign-in-phone");

  await page.setViewportSize(DESKTOP);
  await signUp(page, "Ada Lovelace", "screens");
  await connectSandbox(page, "github");
  await connectSandbox(page, "slack");

  // Slack with a few broken items, so the history shows a failed share.
  await page.request.put("/api/integrations/slack/sandbox", { data: { items: 120, latency_ms: 20, fault: "item_errors" } });
  await page.getByTestId("sync-slack").click();
  await expect(page.getByTestId("sync-modal")).toHaveAttribute("data-status", "complete", { timeout: 60_000 });
  await shot(page, "sync-complete-desktop");
  await expect(page.getByTestId("sync-modal")).toBeHidden({ timeout: 8000 }); // it closes itself after 3 s

  // GitHub, slow enough to catch running.
  await page.request.put("/api/integrations/github/sandbox", { data: { items: 900, latency_ms: 1500, fault: "none" } });
  await page.getByTestId("sync-github").click();
  await expect(page.getByTestId("sync-percent")).toBeVisible({ timeout: 30_000 });
  await shot(page, "sync-running-desktop");
  await page.setViewportSize(PHONE);
  await shot(page, "sync-running-phone");
  await page.setViewportSize(DESKTOP);
  await expect(page.getByTestId("sync-modal")).toHaveAttribute("data-status", "complete", { timeout: 90_000 });
  await expect(page.getByTestId("sync-modal")).toBeHidden({ timeout: 8000 });

  await page.getByTestId("history-slack").click();
  await expect(page.getByTestId("history-chart")).toBeVisible();
  await shot(page, "integrations-desktop", true);
  await page.setViewportSize(PHONE);
  await shot(page, "integrations-phone");

  await page.setViewportSize(DESKTOP);
  await page.goto("/library");
  await expect(page.getByTestId("library-result").first()).toBeVisible();
  await shot(page, "library-desktop");
  await page.setViewportSize(PHONE);
  await shot(page, "library-phone");
  await page.getByTestId("library-result-link").first().click();
  await expect(page.getByTestId("document-title")).toBeVisible();
  await shot(page, "library-item-phone");

  await page.setViewportSize(DESKTOP);
  await page.goto("/notifications");
  await expect(page.getByTestId("preview-html")).toBeVisible();
  await shot(page, "notifications-desktop");
  await page.setViewportSize(PHONE);
  await shot(page, "notifications-phone");
});
