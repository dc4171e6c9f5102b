// One error type and one mapper to HTTP. Known errors keep their status and message;
// anything else is logged and answered with a generic message (never the details).
import { z } from "zod";
import { SCHEMA_MISSING_MESSAGE, isSchemaMissing } from "@/lib/db-status";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const badRequest = (message: string) => new ApiError(400, message);
export const notFound = (message = "Not found") => new ApiError(404, message);
export const unauthorized = () => new ApiError(401, "Sign in first");

export function json(body: unknown, status = 200, headers?: HeadersInit): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store", ...headers } });
}

export function errorResponse(error: unknown): Response {
  if (error instanceof ApiError) return json({ success: false, error: error.message }, error.status);
  if (error instanceof z.ZodError) {
    const message = error.issues
      .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
      .join("; ");
    return json({ success: false, error: message }, 400);
  }
  if (isSchemaMissing(error)) {
    console.error(`[api] ${SCHEMA_MISSING_MESSAGE}`);
    return json({ success: false, error: SCHEMA_MISSING_MESSAGE }, 503, { "retry-after": "30" });
  }
  console.error("[api] unexpected error", error instanceof Error ? error.stack : error);
  return json({ success: false, error: "Something went wrong on our side; please try again." }, 500);
}
