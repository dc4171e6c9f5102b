// The in-app outbox, in real Chromium. The Playwright server has no SMTP settings, so every
// email lands in the outbox: the user reads exactly what would have been delivered.
import { expect, test, type Page } from "@playwright/test";
import { expectNoAxeViolations } from "./helpers";

/** Confirms the address as a person would: the link of the verification email in the outbox, opened. */
async function verifyEmail(page: Page): Promise<void> {
  let link: string | undefined;
  await expect(async () => {
    const list = (await (await page.request.get("/api/notifications")).json()) as { notifications: { id: string; kind: string }[] };
    const mail = list.notifications.find((n) => n.kind === "verify_email");
    expect(mail).toBeTruthy();
    const detail = (await (await page.request.get(`/api/notifications/${mail!.id}`)).json()) as { notification: { text: string } };
    link = /https?:\/\/\S*\/verify-email\?\S+/.exec(detail.notification.text)?.[0];
    expect(link).toBeTruthy();
  }).toPass({ timeout: 10_000 });
  await page.goto(link!);
  await page.goto("/integrations");
}

async function signUpWithGitHub(page: Page, name: string): Promise<void> {
  await page.goto("/sign-up");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(`e2e-notify-${Date.now()}-${Math.random().toString(36).slice(2, 6)}@example.test`);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/integrations$/);
  await verifyEmail(page);
  // A click before hydration does nothing; connecting twice is harmless.
  await expect(async () => {
    if (await page.getByTestId("connect-github").isVisible()) await page.getByTestId("connect-github").click();
    await expect(page.getByTestId("sync-github")).toBeEnabled({ timeout: 2000 });
  }).toPass({ timeout: 20_000 });
}

test("the email of a finished sync appears in the outbox, rendered as sent", async ({ page, baseURL }) => {
  await signUpWithGitHub(page, "Outbox User");
  const scenario = await page.request.put("/api/integrations/github/sandbox", { data: { items: 40, latency_ms: 0, fault: "item_errors" } });
  expect(scenario.status()).toBe(200);
  await page.getByTestId("sync-github").click();
  await expect(page.getByTestId("sync-modal")).toHaveAttribute("data-status", "complete", { timeout: 30_000 });

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Notifications" }).click();
  await expect(page).toHaveURL(/\/notifications$/);
  await expect(page.getByTestId("outbox-banner")).toContainText("Email sending is not set up on this server");

  const item = page.getByTestId("notification-item").first();
  await expect(item.getByTestId("notification-subject")).toHaveText("GitHub sync complete — 36 items, 4 failed");
  await expect(item.getByTestId("notification-status")).toHaveText("In outbox");
  await expect(page.getByTestId("preview-subject")).toHaveText("GitHub sync complete — 36 items, 4 failed");
  await expect(page.getByTestId("preview-status")).toContainText("email sending is not set up");
  await expectNoAxeViolations(page, "notifications");

  // The HTML part, exactly as stored, in a sandboxed frame without scripts.
  const iframe = page.getByTestId("preview-html");
  await expect(iframe).toHaveAttribute("sandbox", "");
  const mail = page.frameLocator('[data-testid="preview-html"]');
  await expect(mail.getByText("GitHub sync complete", { exact: true })).toBeVisible();
  await expect(mail.getByText("First 4 failed items")).toBeVisible();
  await expect(mail.getByRole("link", { name: "Open Integrations" })).toHaveAttribute("href", `${baseURL}/integrations`);

  await page.getByTestId("preview-tab-text").click();
  await expect(page.getByTestId("preview-text")).toContainText("Processed: 36");
  await expect(page.getByTestId("preview-text")).toContainText(`Open Integrations: ${baseURL}/integrations`);
});

test("the retry link of a failure email starts the sync, and the preference sticks", async ({ page, baseURL }) => {
  await signUpWithGitHub(page, "Retry User");
  await page.request.put("/api/integrations/github/sandbox", { data: { items: 30, latency_ms: 0, fault: "server_error" } });
  await page.getByTestId("sync-github").click();
  await expect(page.getByTestId("sync-modal")).toHaveAttribute("data-status", "error", { timeout: 30_000 });

  await page.goto("/notifications");
  await expect(page.getByTestId("notification-subject").first()).toHaveText("GitHub sync failed");
  const mail = page.frameLocator('[data-testid="preview-html"]');
  await expect(mail.getByText("What went wrong")).toBeVisible();
  const retry = mail.getByRole("link", { name: "Retry the sync" });
  const href = await retry.getAttribute("href");
  expect(href).toBe(`${baseURL}/integrations?sync=github`);

  // "Failures only" is saved and still chosen after a reload.
  await page.getByTestId("notify-failures").check();
  await expect(page.getByTestId("notify-preference")).toContainText("Saved");
  await page.reload();
  await expect(page.getByTestId("notify-failures")).toBeChecked();

  // Following the link (the provider recovered) starts a sync right away and drops ?sync.
  await page.request.put("/api/integrations/github/sandbox", { data: { items: 30, latency_ms: 0, fault: "none" } });
  await page.goto(href!);
  await expect(page.getByTestId("sync-modal")).toBeVisible();
  await expect(page).toHaveURL(/\/integrations$/);
  await expect(page.getByTestId("sync-modal")).toHaveAttribute("data-status", "complete", { timeout: 30_000 });

  // Failures only: the successful retry added no email (the sign-up's address confirmation aside).
  await page.goto("/notifications");
  await expect(page.getByTestId("notification-item").filter({ hasNotText: "Confirm your email" })).toHaveCount(1);
});
