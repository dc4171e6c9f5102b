// Which provider sandboxes the app serves under /sandbox/<provider>.
import { createGithubSandbox } from "@/lib/sandbox/github/handler";
import { sandboxAuth } from "@/lib/sandbox/accounts";

type SandboxHandler = (req: Request, subpath: string) => Promise<Response>;

const globalKey = Symbol.for("2nd-brain.sandboxes");
type Holder = { [globalKey]?: Record<string, SandboxHandler> };

function sandboxes(): Record<string, SandboxHandler> {
  const holder = globalThis as Holder;
  holder[globalKey] ??= {
    github: createGithubSandbox({
      resolveToken: async (token) => {
        const check = await sandboxAuth("github").checkAccessToken(token);
        return check.status === "ok" ? check.account : null;
      },
    }),
  };
  return holder[globalKey];
}

export function sandboxFor(provider: string): SandboxHandler | undefined {
  return Object.hasOwn(sandboxes(), provider) ? sandboxes()[provider] : undefined;
}
