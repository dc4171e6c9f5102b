// Every provider syncs end to end in the UI in sandbox mode.
import { expect, test } from "@playwright/test";

const PROVIDERS = [
  { type: "gmail", label: "Gmail", items: 150 },
  { type: "slack", label: "Slack", items: 150 },
  { type: "box", label: "Box", items: 150 },
  { type: "github", label: "GitHub", items: 150 },
] as const;

test("each provider connects in sandbox mode and syncs to completion", async ({ page }) => {
  await page.goto("/sign-up");
  await page.getByLabel("Name").fill("All Providers");
  await page.getByLabel("Email").fill(`e2e-all-${Date.now()}@example.test`);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/integrations$/);

  for (const p of PROVIDERS) {
    await page.getByTestId(`connect-${p.type}`).click();
    await expect(page.getByTestId(`sync-${p.type}`)).toBeEnabled();
    const scenario = await page.request.put(`/api/integrations/${p.type}/sandbox`, {
      data: { items: p.items, latency_ms: 40, fault: "none" },
    });
    expect(scenario.status()).toBe(200);

    await page.getByTestId(`sync-${p.type}`).click();
    const modal = page.getByTestId("sync-modal");
    await expect(modal).toBeVisible();
    await expect(modal).toHaveAttribute("data-status", "complete", { timeout: 60_000 });
    await expect(page.getByTestId("sync-title")).toHaveText(`${p.label} synced`);
    // The numbers agree with each other at the end: found = processed + failed, 100%.
    const n = async (id: string) => Number((await page.getByTestId(id).textContent())?.replace(/\D/g, "") || 0);
    expect(await n("sync-found")).toBe((await n("sync-processed")) + (await n("sync-failed")));
    await expect(page.getByTestId("sync-percent")).toHaveText("100%");
    const processed = Number((await page.getByTestId("sync-processed").textContent())?.replace(/\D/g, ""));
    expect(processed).toBeGreaterThan(0);
    await expect(modal).toBeHidden({ timeout: 6000 });
    await expect(page.getByTestId(`items-${p.type}`)).toContainText(processed.toLocaleString("en-US"));
  }
});
