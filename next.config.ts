import type { NextConfig } from "next";
import { securityHeaders } from "./lib/http/security-headers";

const nextConfig: NextConfig = {
  // NEXT_DIST_DIR lets two builds of one checkout live side by side (e.g. a benchmark and a test run).
  distDir: process.env.NEXT_DIST_DIR || ".next",
  async headers() {
    return [{ source: "/:path*", headers: securityHeaders() }];
  },
  // Native and Node-only packages stay outside the bundle, and so do the providers' SDKs: bundled,
  // each server bundle that reached them (instrumentation, every route) carried and compiled its
  // own ~4 MB copy; from node_modules Node loads each once per process, when first used.
  serverExternalPackages: [
    "better-sqlite3",
    "@prisma/adapter-better-sqlite3",
    "@prisma/adapter-pg",
    "pg",
    "bullmq",
    "ioredis",
    "box-typescript-sdk-gen",
    "@slack/web-api",
    "@googleapis/gmail",
    "google-auth-library",
    "@octokit/rest",
    "nodemailer",
  ],
  poweredByHeader: false,
  // The app's own sources; tests are type-checked by `npm run typecheck` (part of `npm test`).
  typescript: { tsconfigPath: "tsconfig.build.json" },
  typedRoutes: false,
};

export default nextConfig;
