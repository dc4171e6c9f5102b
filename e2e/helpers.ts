// Shared steps of the e2e specs: signing up, the axe check, the no-horizontal-scroll check.
import AxeBuilder from "@axe-core/playwright";
import { expect, type Locator, type Page } from "@playwright/test";

export async function signUp(page: Page, name: string, prefix = "e2e"): Promise<string> {
  const email = `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}@example.test`;
  await page.goto("/sign-up");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/integrations$/);
  return email;
}

/** Connects a provider's sandbox from its card (a click before hydration does nothing: retried). */
export async function connectSandbox(page: Page, type: string): Promise<void> {
  await expect(async () => {
    if (await page.getByTestId(`connect-${type}`).isVisible()) await page.getByTestId(`connect-${type}`).click();
    await expect(page.getByTestId(`sync-${type}`)).toBeEnabled({ timeout: 2000 });
  }).toPass({ timeout: 20_000 });
}

/**
 * axe-core on the page as it is now (every rule axe runs by default: WCAG 2.x A/AA and best
 * practices). Prints the count per page, which the e2e log keeps, and fails on any violation.
 */
export async function expectNoAxeViolations(page: Page, where: string): Promise<void> {
  // The email preview is a sandboxed frame without scripts holding the email exactly as sent:
  // the email's own markup, not the app's (and axe cannot run inside a frame without scripts).
  // Colours caught mid-transition (a button turning from disabled to enabled, 150 ms) are not
  // what anyone reads: let finite transitions and animations end first (spinners run for ever).
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((a) => a.effect?.getComputedTiming().iterations !== Infinity)
        .map((a) => a.finished.catch(() => undefined)),
    ),
  );
  const results = await new AxeBuilder({ page }).exclude('iframe[sandbox=""]').analyze();
  const lines = results.violations.map(
    (v) => `${v.id} [${v.impact}] x${v.nodes.length}: ${v.nodes
      .slice(0, 3)
      .map((n) => n.target.join(" "))
      .join(" | ")}`,
  );
  console.log(`[axe] ${where}: ${results.violations.length} violation(s)${lines.length ? `\n  ${lines.join("\n  ")}` : ""}`);
  expect(lines, `axe violations on ${where}`).toEqual([]);
}

/** The page is no wider than the window: nothing to scroll sideways. Returns the widths seen. */
export async function expectNoHorizontalScroll(page: Page, where: string): Promise<{ scrollWidth: number; innerWidth: number }> {
  const size = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  console.log(`[width] ${where}: scrollWidth ${size.scrollWidth}, innerWidth ${size.innerWidth}`);
  expect(size.scrollWidth, `horizontal scroll on ${where}`).toBeLessThanOrEqual(size.innerWidth);
  return size;
}

/** Visible, inside the viewport, and the topmost element at its centre (nothing covers it). */
export async function expectClickable(locator: Locator): Promise<void> {
  await expect(locator).toBeVisible();
  await expect(locator).toBeInViewport({ ratio: 1 });
  const onTop = await locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return hit !== null && (hit === el || el.contains(hit));
  });
  expect(onTop, "nothing covers it").toBe(true);
}
