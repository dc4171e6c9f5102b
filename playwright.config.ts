import { defineConfig } from "@playwright/test";

const PORT = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${PORT}`;

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
  projects: [{ name: "chromium", use: { browserName: "chromium" } }],
  webServer: {
    command: "node scripts/e2e-server.mjs",
    url: `${baseURL}/sign-in`,
    reuseExistingServer: false,
    timeout: 120_000,
    env: {
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
