// Connecting GitHub for real, through OAuth: the app's GitHub sandbox stands in for github.com
// (playwright.config.ts points the GITHUB_* settings at it), so the browser goes through the
// same redirects and the same consent page a user would see.
import { expect, test, type Page } from "@playwright/test";

async function signUp(page: Page, name: string): Promise<void> {
  await page.goto("/sign-up");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(`e2e-oauth-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.test`);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/integrations$/);
}

test("GitHub connects through its OAuth page, syncs, and disconnects with its documents", async ({ page }) => {
  await signUp(page, "OAuth User");

  // Only GitHub has an OAuth app in this run: the others say so quietly, without operator settings.
  await expect(page.getByTestId("live-hint-gmail")).toHaveText("Live connection not set up on this server.");
  await expect(page.getByTestId("live-hint-github")).toHaveCount(0);

  // Deny first: back on Integrations, with the reason, and nothing connected.
  await page.getByTestId("connect-live-github").click();
  await expect(page).toHaveURL(/\/sandbox\/github\/login\/oauth\/authorize\?/);
  await page.getByRole("button", { name: "Deny" }).click();
  await expect(page).toHaveURL(/\/integrations$/);
  await expect(page.getByTestId("board-notice")).toHaveAttribute("data-kind", "error");
  await expect(page.getByTestId("board-notice")).toContainText("You did not allow 2nd Brain to read your GitHub");
  await expect(page.getByTestId("card-github")).toHaveAttribute("data-connected", "false");

  // Then Allow.
  await page.getByTestId("connect-live-github").click();
  await expect(page.getByRole("heading", { name: "Allow 2nd Brain to read your sandbox GitHub?" })).toBeVisible();
  const authorize = new URL(page.url());
  expect(authorize.searchParams.get("client_id")).toBe("e2e-github-client");
  expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
  await page.getByRole("button", { name: "Allow" }).click();

  // Back from the callback: the parameters are gone from the address bar, the notice stays.
  await expect(page).toHaveURL(/\/integrations$/);
  const notice = page.getByTestId("board-notice");
  await expect(notice).toHaveAttribute("data-kind", "success");
  await expect(notice).toContainText("GitHub is connected as sandbox-user");
  await expect(page.getByTestId("mode-github")).toHaveText("Live");
  await expect(page.getByTestId("account-github")).toHaveText("sandbox-user");
  await page.getByTestId("board-notice-dismiss").click();
  await expect(notice).toHaveCount(0);

  // It syncs from the (sandbox) GitHub API with the token the flow stored.
  await page.getByTestId("sync-github").click();
  const modal = page.getByTestId("sync-modal");
  await expect(modal).toHaveAttribute("data-status", "complete", { timeout: 60_000 });
  const processed = Number((await page.getByTestId("sync-processed").textContent())?.replace(/\D/g, ""));
  expect(processed).toBeGreaterThan(0);
  await expect(modal).toBeHidden({ timeout: 6000 });
  await expect(page.getByTestId("items-github")).toContainText(processed.toLocaleString("en-US"));

  // Disconnect, deleting what was synced.
  await page.getByTestId("disconnect-github").click();
  const dialog = page.getByTestId("disconnect-dialog-github");
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText(`Also delete the ${processed.toLocaleString("en-US")} synced items`);
  await page.getByTestId("disconnect-delete-github").check();
  await page.getByTestId("disconnect-confirm-github").click();
  await expect(dialog).toBeHidden();
  await expect(notice).toContainText("GitHub is disconnected");
  await expect(notice).toContainText("Access was revoked at GitHub");
  await expect(notice).toContainText(`${processed.toLocaleString("en-US")} synced items were deleted`);
  await expect(page.getByTestId("card-github")).toHaveAttribute("data-connected", "false");
  await expect(page.getByTestId("items-github")).toHaveText("0 items");
  await expect(page.getByTestId("connect-live-github")).toBeVisible();
});

test("a pasted token that GitHub refuses is shown in the form and nothing connects", async ({ page }) => {
  await signUp(page, "Token User");
  await page.getByTestId("paste-token-github").click();
  await page.getByTestId("token-input-github").fill("ghp_this_is_not_a_real_token_0123456789");
  await page.getByTestId("token-submit-github").click();
  await expect(page.getByTestId("token-error-github")).toContainText("GitHub refused this token (HTTP 401)");
  await expect(page.getByTestId("card-github")).toHaveAttribute("data-connected", "false");
});
