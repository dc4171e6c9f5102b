import { defineConfig } from "@playwright/test";

const PORT = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${PORT}`;
// E2E_DATA_DIR (e.g. .data/e2e-ui): a private fresh database for this run instead of .data/e2e,
// so two people testing one checkout (each with their own NEXT_DIST_DIR and E2E_PORT) do not
// wipe each other's. Unset: scripts/e2e-server.mjs, as CI runs it.
const DATA_DIR = process.env.E2E_DATA_DIR;
const serverCommand = DATA_DIR
  ? `node -e "require('fs').rmSync(process.argv[1], { recursive: true, force: true })" ${JSON.stringify(DATA_DIR)} && node scripts/start.mjs --no-build`
  : "node scripts/e2e-server.mjs";

export default defineConfig({
  testDir: "e2e",
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      // Debian's Chromium: `npx playwright install` cannot download here (see README).
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
  },
  projects: [
    // Desktop (1280×720): every spec but the phone story.
    { name: "chromium", use: { browserName: "chromium" }, testIgnore: /phone\.spec\.ts/ },
    // A phone (390×844, touch): the main story again, with no horizontal scroll on any page.
    {
      name: "phone",
      use: { browserName: "chromium", viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
      testMatch: /phone\.spec\.ts/,
    },
  ],
  webServer: {
    command: serverCommand,
    url: `${baseURL}/sign-in`,
    reuseExistingServer: false,
    timeout: 120_000,
    env: {
      ...(DATA_DIR ? { DATABASE_URL: `file:./${DATA_DIR.replace(/^\.\//, "")}/app.db` } : {}),
      PORT: String(PORT),
      APP_URL: baseURL,
      APP_SECRET: "e2e-test-secret-0123456789abcdef0123",
      SYNC_REQUEST_TIMEOUT_S: "5",
      SYNC_STALL_TIMEOUT_S: "20",
      AUTH_RATE_LIMIT_PER_MIN: "1000",
      // GitHub's OAuth app, with the app's own GitHub sandbox standing in for github.com (e2e/oauth.spec.ts).
      GITHUB_CLIENT_ID: "e2e-github-client",
      GITHUB_CLIENT_SECRET: "e2e-github-secret",
      GITHUB_AUTHORIZE_URL: `${baseURL}/sandbox/github/login/oauth/authorize`,
      GITHUB_TOKEN_URL: `${baseURL}/sandbox/github/login/oauth/access_token`,
      GITHUB_REVOKE_URL: `${baseURL}/sandbox/github/applications/{client_id}/grant`,
      GITHUB_API_URL: `${baseURL}/sandbox/github`,
    },
  },
});
