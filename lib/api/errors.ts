// One error type and one mapper to HTTP. Known errors keep their status, code and message;
// anything else is logged and answered with a generic message (never the details). Every
// error body is { success: false, error, code } (ApiErrorBody in lib/contract/api.ts).
import { z } from "zod";
import type { ApiErrorBody, ApiErrorCode } from "@/lib/contract/api";
import { SCHEMA_MISSING_MESSAGE, isSchemaMissing } from "@/lib/db-status";
import { logger } from "@/lib/platform/logger";

export type { ApiErrorCode };

const CODE_BY_STATUS: Readonly<Record<number, ApiErrorCode>> = {
  400: "validation_failed",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
  502: "upstream_unavailable",
  503: "database_not_ready",
};

/** The code an answer with `status` carries unless its thrower names one. */
export function codeForStatus(status: number): ApiErrorCode {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? "internal" : "validation_failed");
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: ApiErrorCode = codeForStatus(status),
    /** Sent as Retry-After (429, 503): when trying again makes sense. */
    readonly retryAfterS?: number,
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

/** An error answer: `{ success: false, error: message, code }` with `status`. */
export function errorJson(status: number, message: string, code = codeForStatus(status), headers?: HeadersInit): Response {
  const body: ApiErrorBody = { success: false, error: message, code };
  return json(body, status, headers);
}

export function errorResponse(error: unknown): Response {
  if (error instanceof ApiError) {
    return errorJson(error.status, error.message, error.code, error.retryAfterS ? { "retry-after": String(Math.ceil(error.retryAfterS)) } : undefined);
  }
  if (error instanceof z.ZodError) {
    const message = error.issues
      .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
      .join("; ");
    return errorJson(400, message, "validation_failed");
  }
  if (isSchemaMissing(error)) {
    logger.error(`[api] ${SCHEMA_MISSING_MESSAGE}`);
    return errorJson(503, SCHEMA_MISSING_MESSAGE, "database_not_ready", { "retry-after": "30" });
  }
  logger.error({ err: error }, "[api] unexpected error");
  return errorJson(500, "Something went wrong on our side; please try again.", "internal");
}
