import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

// The resilience suite (`npm run test:chaos`, tests/chaos) is slow and starts many servers: it
// only joins when asked for (TEST_CHAOS=1 or `--project chaos`), never a plain `vitest run`.
const chaosWanted = process.env.TEST_CHAOS === "1" || process.argv.some((a, i, all) => a === "--project=chaos" || (a === "--project" && all[i + 1] === "chaos"));
// The serverless emulation (`npm run test:serverless`, tests/serverless) likewise: TEST_SERVERLESS=1
// or `--project serverless`.
const serverlessWanted =
  process.env.TEST_SERVERLESS === "1" || process.argv.some((a, i, all) => a === "--project=serverless" || (a === "--project" && all[i + 1] === "serverless"));

export default defineConfig({
  resolve: { alias: { "@": root } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          environment: "node",
          // Lets abort tests force garbage collection (the bug they guard against needs it).
          execArgv: ["--expose-gc"],
          include: ["lib/**/*.test.ts", "components/**/*.test.ts", "tests/fixtures/**/*.test.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          environment: "node",
          include: ["tests/integration/**/*.test.ts"],
          globalSetup: ["tests/helpers/server-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      ...(chaosWanted
        ? [
            {
              extends: true as const,
              test: {
                name: "chaos",
                environment: "node",
                include: ["tests/chaos/**/*.test.ts"],
                globalSetup: ["tests/chaos/setup.ts"],
                testTimeout: 240_000,
                hookTimeout: 180_000,
                // One case at a time: each starts its own servers, and the machine has 2 cores.
                fileParallelism: false,
              },
            },
          ]
        : []),
      ...(serverlessWanted
        ? [
            {
              extends: true as const,
              test: {
                name: "serverless",
                environment: "node",
                include: ["tests/serverless/**/*.test.ts"],
                globalSetup: ["tests/serverless/setup.ts"],
                testTimeout: 300_000,
                hookTimeout: 180_000,
                // One case at a time: each platform runs several instances, and the machine has 2 cores.
                fileParallelism: false,
              },
            },
          ]
        : []),
    ],
  },
});
