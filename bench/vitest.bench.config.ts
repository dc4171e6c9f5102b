// Vitest config for the benchmark "tests" (bench/*.bench.test.ts): TypeScript connectors and
// sandboxes run in-process, one forked worker per file. Used by bench/run.mjs, not by `npm test`.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL("..", import.meta.url));

export default defineConfig({
  resolve: { alias: { "@": root } },
  test: {
    root,
    environment: "node",
    include: ["bench/**/*.bench.test.ts"],
    pool: "forks",
    testTimeout: 20 * 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
