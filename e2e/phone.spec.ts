// The main story on a phone (390×844, the "phone" project in playwright.config.ts): sign up,
// connect the GitHub sandbox, sync, watch the modal (a bottom sheet) to the end, history, the
// Library and its item page, Notifications. On every page: no horizontal scroll, and axe finds
// nothing. The modal's close button, counters and percent are on screen and clickable.
import { expect, test } from "@playwright/test";
import { connectSandbox, expectClickable, expectNoAxeViolations, expectNoHorizontalScroll, signUp } from "./helpers";

test("a new user syncs GitHub on a phone: every page fits, the modal's controls are reachable", async ({ page }) => {
  test.setTimeout(180_000); // one long story, axe on eight screens
  await page.goto("/sign-up");
  await expectNoHorizontalScroll(page, "sign-up (phone)");
  await expectNoAxeViolations(page, "sign-up (phone)");

  await signUp(page, "Phone User", "e2e-phone");
  await expectNoHorizontalScroll(page, "integrations (phone)");
  await expect(page.getByRole("button", { name: "Sign out" })).toBeInViewport({ ratio: 1 });
  await connectSandbox(page, "github");
  await expectNoHorizontalScroll(page, "integrations, connected (phone)");
  await expectNoAxeViolations(page, "integrations (phone)");

  // Slow enough to look at (and to run axe on it while it runs): 900 items, 1.5 s a request.
  expect((await page.request.put("/api/integrations/github/sandbox", { data: { items: 900, latency_ms: 1500, fault: "none" } })).status()).toBe(200);
  await page.getByTestId("sync-github").click();
  const modal = page.getByTestId("sync-modal");
  await expect(modal).toBeVisible();
  await expect(page.getByTestId("sync-title")).toHaveText("Syncing GitHub");
  await expectNoHorizontalScroll(page, "sync modal, running (phone)");
  for (const id of ["sync-close", "sync-found", "sync-processed", "sync-failed"]) await expect(page.getByTestId(id)).toBeInViewport();
  await expectClickable(page.getByTestId("sync-close"));
  await expectNoAxeViolations(page, "sync modal, running (phone)");

  // The × while running hides the sheet (the sync goes on); "View progress" brings it back.
  await page.getByTestId("sync-close").click();
  await expect(modal).toBeHidden();
  await expect(page.getByTestId("view-progress-github")).toBeFocused();
  await page.getByTestId("view-progress-github").click();
  await expect(modal).toBeVisible();

  await expect(page.getByTestId("sync-percent")).toBeInViewport({ timeout: 30_000 });
  await expect(modal).toHaveAttribute("data-status", "complete", { timeout: 60_000 });
  await expect(page.getByTestId("sync-title")).toHaveText("GitHub synced");
  await expect(page.getByTestId("sync-success")).toHaveText("900 items synced (900 new, 0 updated, 0 removed).");
  await expect(page.getByTestId("sync-percent")).toHaveText("100%");
  // It closes itself after 3 s; focus goes back to the control that opened it, not to <body>.
  await expect(modal).toBeHidden({ timeout: 6000 });
  await expect(page.getByTestId("sync-github")).toBeFocused();

  // The card: last synced and last attempt apart, History with its chart and rows.
  await expect(page.getByTestId("last-sync-github")).toHaveText("just now");
  await expect(page.getByTestId("last-status-github")).toHaveText("· Succeeded");
  await page.getByTestId("history-github").click();
  await expect(page.getByTestId("history-row")).toHaveCount(1);
  await expect(page.getByTestId("history-chart")).toBeVisible();
  await expect(page.getByTestId("history-row").first()).toContainText(/[A-Z][a-z]{2} \d{1,2}, \d{4}/); // "Dec 6, 2026"
  await expectNoHorizontalScroll(page, "integrations, history open (phone)");
  await expectNoAxeViolations(page, "integrations, history open (phone)");

  // Library, and one item's page in the app.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Library" }).click();
  await expect(page.getByTestId("library-result").first()).toBeVisible({ timeout: 30_000 });
  await expectNoHorizontalScroll(page, "library (phone)");
  await expectNoAxeViolations(page, "library (phone)");
  const first = page.getByTestId("library-result-link").first();
  const title = (await first.textContent())?.trim() ?? "";
  await first.click();
  await expect(page).toHaveURL(/\/library\/[a-z0-9]+$/);
  await expect(page.getByTestId("document-title")).toHaveText(title);
  await expectNoHorizontalScroll(page, "library item (phone)");
  await expectNoAxeViolations(page, "library item (phone)");

  // Notifications: the email of the sync, its preview inside the screen.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Notifications" }).click();
  await expect(page.getByTestId("notification-item").first()).toBeVisible();
  await expect(page.getByTestId("preview-html")).toBeVisible();
  await expectNoHorizontalScroll(page, "notifications (phone)");
  const preview = await page.getByTestId("notification-preview").boundingBox();
  expect(preview).not.toBeNull();
  expect(preview!.x + preview!.width).toBeLessThanOrEqual(390);
  await expectNoAxeViolations(page, "notifications (phone)");

  // The narrowest phone we support: 360 px, every page.
  await page.setViewportSize({ width: 360, height: 740 });
  for (const path of ["/integrations", "/library", "/notifications"]) {
    await page.goto(path);
    await expect(page.locator("main h1")).toBeVisible();
    await expectNoHorizontalScroll(page, `${path} (360 px)`);
  }
  await page.goto("/integrations");
  await page.getByTestId("history-github").click();
  await expect(page.getByTestId("history-chart")).toBeVisible();
  await expectNoHorizontalScroll(page, "/integrations, history open (360 px)");
});
