import { describe, expect, it } from "vitest";
import { z } from "zod";
import { API_ERROR_CODES } from "@/lib/contract/api";
import { ApiError, codeForStatus, errorJson, errorResponse, notFound, unauthorized } from "./errors";

async function answer(res: Response) {
  return { status: res.status, body: (await res.json()) as unknown };
}

describe("error answers", () => {
  it("carry success:false, the words and a stable code", async () => {
    expect(await answer(errorResponse(notFound("No such sync")))).toEqual({
      status: 404,
      body: { success: false, error: "No such sync", code: "not_found" },
    });
    expect(await answer(errorResponse(unauthorized()))).toEqual({
      status: 401,
      body: { success: false, error: "Sign in first", code: "unauthorized" },
    });
    expect(await answer(errorResponse(new ApiError(429, "slow down")))).toMatchObject({ status: 429, body: { code: "rate_limited" } });
  });

  it("maps zod errors to validation_failed and anything else to a generic internal error", async () => {
    const zodError = z.object({ limit: z.number() }).safeParse({ limit: "x" }).error!;
    expect(await answer(errorResponse(zodError))).toMatchObject({ status: 400, body: { success: false, code: "validation_failed" } });
    const internal = await answer(errorResponse(new Error("secret detail")));
    expect(internal).toEqual({ status: 500, body: { success: false, error: "Something went wrong on our side; please try again.", code: "internal" } });
  });

  it("keeps a code the thrower names, and every status maps to a known code", async () => {
    expect(new ApiError(409, "busy", "rate_limited").code).toBe("rate_limited");
    for (const status of [400, 401, 403, 404, 409, 413, 415, 429, 500, 502, 503, 418]) {
      expect(API_ERROR_CODES).toContain(codeForStatus(status));
    }
    const res = errorJson(413, "Request body is too large");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ success: false, error: "Request body is too large", code: "payload_too_large" });
  });
});
