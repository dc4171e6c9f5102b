import { auth } from "@/lib/auth";
import { errorJson, errorResponse } from "@/lib/api/errors";
import { assertSameOrigin } from "@/lib/api/origin";
import { SCHEMA_MISSING_MESSAGE, schemaReady } from "@/lib/db-status";
import { MAX_JSON_BODY_BYTES, readBodyCapped } from "@/lib/http/body";

// Sign-in throttling (growing delays per account and address, no lock-out of the owner), the
// neutral sign-up answer and the name cap live in Better Auth's hooks (lib/auth.ts).

/**
 * The request Better Auth gets: its body read here first, at most 64 KB and never buffered past
 * that (Better Auth reads bodies whole: a 400 MB sign-in took the process from 0.8 to 2.2 GB).
 */
async function withCappedBody(req: Request): Promise<Request> {
  if (req.method === "GET" || req.method === "HEAD") return req;
  const body = await readBodyCapped(req, MAX_JSON_BODY_BYTES);
  const headers = new Headers(req.headers);
  headers.delete("content-length");
  headers.delete("transfer-encoding");
  return new Request(req.url, { method: req.method, headers, body: body.byteLength > 0 ? Buffer.from(body) : null, signal: req.signal });
}

/** Drops `token` fields (objects nested at most `depth` deep, arrays included). */
function stripTokens(value: unknown, depth = 3): unknown {
  if (depth < 0 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => stripTokens(v, depth - 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([k]) => k !== "token")
      .map(([k, v]) => [k, stripTokens(v, depth - 1)]),
  );
}

/**
 * The session token lives in the httpOnly cookie only: Better Auth also puts it in JSON
 * (get-session's session.token, sign-in's and sign-up's token, list-sessions), where a script
 * on the page could read it.
 */
async function withoutTokens(res: Response): Promise<Response> {
  if (!(res.headers.get("content-type") ?? "").includes("application/json")) return res;
  const text = await res.text();
  let body = text;
  if (text.includes('"token"')) {
    try {
      body = JSON.stringify(stripTokens(JSON.parse(text)));
    } catch {
      // not JSON after all: passed on as it was
    }
  }
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  return new Response(body, { status: res.status, statusText: res.statusText, headers });
}

async function handle(req: Request): Promise<Response> {
  try {
    if (req.method === "POST") assertSameOrigin(req);
    const res = await auth().handler(await withCappedBody(req));
    // Better Auth answers its own failures with an empty 500: say so if the schema is missing.
    if (res.status >= 500 && !(await schemaReady().catch(() => true))) {
      return errorJson(503, SCHEMA_MISSING_MESSAGE, "database_not_ready", { "retry-after": "30" });
    }
    return await withoutTokens(res);
  } catch (error) {
    return errorResponse(error);
  }
}

export const GET = handle;
export const POST = handle;
