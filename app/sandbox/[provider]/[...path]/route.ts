// The built-in provider sandboxes, served by the app itself so `npm start` needs nothing
// else. They answer only to sandbox tokens issued by this app (see lib/connections).
import { sandboxFor } from "@/lib/sandbox/registry";
import { sandboxEnabled } from "@/lib/env";
import { sandboxDisabledResponse } from "@/lib/sandbox/enabled";

export const dynamic = "force-dynamic";

async function handle(req: Request, route: { params: Promise<{ provider: string; path: string[] }> }): Promise<Response> {
  // SANDBOX_ENABLED=false: nothing here exists, and nothing is read or written.
  if (!sandboxEnabled()) return sandboxDisabledResponse();
  const { provider, path } = await route.params;
  const sandbox = sandboxFor(provider);
  if (!sandbox) return Response.json({ message: "Not Found" }, { status: 404 });
  try {
    return await sandbox(req, `/${path.map(encodeURIComponent).join("/")}`);
  } catch (error) {
    console.error("[sandbox] failed", error);
    return Response.json({ message: "Sandbox failure" }, { status: 500 });
  }
}

export const GET = handle;
export const POST = handle;
export const PUT = handle;
export const PATCH = handle;
export const DELETE = handle;
