// Wraps every API route: session, params and body validation, one error mapper.
import { z } from "zod";
import { getViewer, type Viewer } from "@/lib/auth";
import { ApiError, errorResponse, unauthorized } from "@/lib/api/errors";
import { assertSameOrigin } from "@/lib/api/origin";
import { MAX_JSON_BODY_BYTES, readTextCapped } from "@/lib/http/body";

interface Ctx<P> {
  req: Request;
  viewer: Viewer;
  params: P;
}

export function withViewer<P extends z.ZodType>(
  paramsSchema: P,
  fn: (ctx: Ctx<z.infer<P>>) => Promise<Response>,
): (req: Request, route?: { params?: Promise<unknown> }) => Promise<Response> {
  return async (req, route) => {
    try {
      if (req.method !== "GET" && req.method !== "HEAD") assertSameOrigin(req);
      const viewer = await getViewer(req.headers);
      if (!viewer) throw unauthorized();
      const parsed = paramsSchema.safeParse((await route?.params) ?? {});
      if (!parsed.success) throw parsed.error;
      return await fn({ req, viewer, params: parsed.data });
    } catch (error) {
      return errorResponse(error);
    }
  };
}

/** Reads a JSON body (empty body = `{}`, at most 64 KB, never buffered past that) and validates it. */
export async function readJson<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
  const type = req.headers.get("content-type") ?? "";
  const text = await readTextCapped(req, MAX_JSON_BODY_BYTES);
  let value: unknown = {};
  if (text.trim() !== "") {
    if (type && !type.includes("application/json")) throw new ApiError(415, "Send the body as application/json");
    try {
      value = JSON.parse(text);
    } catch {
      throw new ApiError(400, "The body is not valid JSON");
    }
  }
  return schema.parse(value);
}
