// Issue #9 in real Chromium: the Library refreshes by itself when a sandbox GitHub sync ends,
// a search for a known seeded subject finds it and opens it on the app's own item page (a
// sandbox item has no page at github.com), and the Integrations card shows the run in its history.
import { expect, test } from "@playwright/test";
import { DEFAULT_LOGIN, makeIssue } from "../lib/sandbox/github/data";
import { expectNoAxeViolations } from "./helpers";

test("search the Library after a sandbox GitHub sync, open the item in the app, see the run in History", async ({ page, browser, baseURL }) => {
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
  // Snippets are plain text: no markdown marks.
  for (const snippet of await page.getByTestId("library-result-snippet").allTextContents()) expect(snippet).not.toMatch(/```|\*\*|(^|\s)##\s/);
  await expectNoAxeViolations(page, "library");

  // The seeded first item of the sandbox (deterministic): search for its subject.
  const seeded = makeIssue(DEFAULT_LOGIN, 0, 0);
  expect(seeded.html_url).toMatch(/^https:\/\/github\.com\//);
  await page.getByTestId("library-search").fill(seeded.title);
  await expect(page).toHaveURL(/[?&]q=/);
  const link = page.getByTestId("library-result-link").filter({ hasText: seeded.title }).first();
  await expect(link).toBeVisible();
  await expect(link).toHaveAttribute("href", /^\/library\/[a-z0-9]+$/);
  // Shown as text (titles carry things like <b>…</b> and <script>…</script> on purpose), highlighted.
  await expect(link).toContainText(seeded.title);
  expect(await link.locator("mark").count()).toBeGreaterThan(0);

  // Filters: GitHub items only; no Gmail.
  await page.getByTestId("library-filter-provider").selectOption("gmail");
  await expect(page.getByTestId("library-empty")).toBeVisible();
  await page.getByTestId("library-filter-provider").selectOption("github");
  await expect(link).toBeVisible();

  // The item's page in the app: its title and text, and no link to a github.com page that does not exist.
  await link.click();
  await expect(page).toHaveURL(/\/library\/[a-z0-9]+$/);
  await expect(page.getByTestId("document-title")).toHaveText(seeded.title);
  await expect(page.getByTestId("document-sandbox-note")).toBeVisible();
  await expect(page.locator('a[href^="https://github.com"]')).toHaveCount(0);
  await expectNoAxeViolations(page, "library item");
  // Its JSON: the owner reads it; another id answers 404.
  const id = new URL(page.url()).pathname.split("/").pop()!;
  const own = await page.request.get(`/api/documents/${id}`);
  expect(own.status()).toBe(200);
  expect((await own.json()).document).toMatchObject({ id, title: seeded.title, url: null, sandbox: true });
  expect((await page.request.get("/api/documents/clzzzzzzzzzzzzzzzzzzzzzzz")).status()).toBe(404);
  // Another user asking for this id: 404, like an unknown one.
  const other = await browser.newContext({ baseURL });
  const signUp = await other.request.post("/api/auth/sign-up/email", {
    data: { email: `e2e-library-other-${Date.now()}@example.test`, password: "correct horse battery", name: "Other" },
  });
  expect(signUp.ok()).toBe(true);
  expect((await other.request.get(`/api/documents/${id}`)).status()).toBe(404);
  expect((await other.newPage().then(async (p) => (await p.goto(`/library/${id}`))?.status()))).toBe(404);
  await other.close();
  await page.getByTestId("document-back").click();
  await expect(page).toHaveURL(/\/library/);

  // History on the Integrations card: one completed run of 40 items.
  await page.getByRole("link", { name: "Integrations" }).click();
  await page.getByTestId("history-github").click();
  const rows = page.getByTestId("history-row");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute("data-status", "complete");
  await expect(rows.first()).toHaveAttribute("data-processed", "40");
  await expect(rows.first()).toContainText("Completed");
  await expect(page.getByTestId("history-chart")).toBeVisible();
  await expect(page.getByTestId("history-summary")).toHaveText("1 run · 40 items · none failed");
  await expect(rows.first()).toContainText(/[A-Z][a-z]{2} \d{1,2}, \d{4}/); // "Dec 6, 2026"
  await expectNoAxeViolations(page, "integrations, history open");
});
