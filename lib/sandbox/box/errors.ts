// Box's error answers: {type: "error", status, code, context_info, help_url, message, request_id}.

const HELP_URL = "http://developers.box.com/docs/#errors";

export class BoxError {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
    readonly contextInfo?: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {}
}

export function invalidParameter(name: string, value: string, detail?: string): BoxError {
  return new BoxError(400, "bad_request", "Bad Request", {
    errors: [{ reason: "invalid_parameter", name, message: detail ?? `Invalid value '${value}'. '${name}' with value '${value}' is not valid` }],
  });
}

export function notFound(kind: "folder" | "file", id: string): BoxError {
  const prefix = kind === "folder" ? "d" : "f";
  return new BoxError(404, "not_found", "Not Found", {
    errors: [{ reason: "invalid_parameter", name: kind, message: `Invalid value '${prefix}_${id}'. '${kind}' with value '${prefix}_${id}' not found` }],
  });
}

/** The JSON body Box answers an error with. */
export function boxErrorBody(e: BoxError, requestId: string): Record<string, unknown> {
  return {
    type: "error",
    status: e.status,
    code: e.code,
    ...(e.contextInfo ? { context_info: e.contextInfo } : {}),
    help_url: HELP_URL,
    message: e.message,
    request_id: requestId,
  };
}

/**
 * A file or folder in the trash, asked for by id (GET /files/{id}, its content): Box answers 404
 * with the error code "trashed" (Box's client error codes: "trashed", 404, the item is in the trash).
 */
export function trashed(): BoxError {
  return new BoxError(404, "trashed", "Item is trashed");
}
