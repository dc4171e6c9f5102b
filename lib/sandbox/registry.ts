// Which provider sandboxes the app serves under /sandbox/<provider>.
import { createGithubSandbox } from "@/lib/sandbox/github/handler";
import { createGmailSandbox } from "@/lib/sandbox/gmail/handler";
import { createSlackSandbox } from "@/lib/sandbox/slack/handler";
import { createBoxSandbox } from "@/lib/sandbox/box/handler";
import { appSecret } from "@/lib/secret";
import { createHmac } from "node:crypto";
import { sandboxAuth } from "@/lib/sandbox/accounts";
import { withSandboxOAuth } from "@/lib/sandbox/oauth";
import { processSingleton } from "@/lib/platform/singleton";

type SandboxHandler = (req: Request, subpath: string) => Promise<Response>;

function sandboxes(): Record<string, SandboxHandler> {
  return processSingleton<Record<string, SandboxHandler>>("sandboxes", () => ({
    // Each behind the provider's OAuth endpoints (authorize page, code exchange, revoke).
    github: withSandboxOAuth(
      "github",
      createGithubSandbox({
        resolveToken: async (token) => {
          const check = await sandboxAuth("github").checkAccessToken(token);
          return check.status === "ok" ? check.account : null;
        },
      }),
    ),
    gmail: withSandboxOAuth("gmail", createGmailSandbox({ auth: sandboxAuth("gmail") })),
    slack: withSandboxOAuth("slack", createSlackSandbox({ auth: sandboxAuth("slack") })),
    // Download links are signed; every instance must sign alike, so the key comes from APP_SECRET.
    box: withSandboxOAuth(
      "box",
      createBoxSandbox({ auth: sandboxAuth("box"), downloadSecret: createHmac("sha256", appSecret()).update("sandbox-box-downloads").digest("hex") }),
    ),
  }));
}

export function sandboxFor(provider: string): SandboxHandler | undefined {
  return Object.hasOwn(sandboxes(), provider) ? sandboxes()[provider] : undefined;
}
