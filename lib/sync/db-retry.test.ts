// Which database failures the engine waits out (the page is written again) and which end
// the run: shapes as Prisma 6 and pg report them.
import { describe, expect, it } from "vitest";
import { isTransientDbError } from "@/lib/sync/engine";
import { SyncError } from "@/lib/sync/errors";

describe("isTransientDbError", () => {
  it("waits out a saturated pool, a transaction that could not start, and terminated connections", () => {
    expect(isTransientDbError({ code: "P2028", message: "Transaction API error: Unable to start a transaction in the given time." })).toBe(true);
    expect(isTransientDbError(new Error("timeout exceeded when trying to connect"))).toBe(true);
    expect(isTransientDbError(Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }))).toBe(true);
    expect(isTransientDbError(new Error("wrapped", { cause: new Error("Connection terminated unexpectedly") }))).toBe(true);
    expect(isTransientDbError({ code: "SQLITE_BUSY", message: "database is locked" })).toBe(true);
    expect(isTransientDbError(new Error("Client has encountered a connection error and is not queryable"))).toBe(true);
  });

  it("does not retry what a retry cannot fix", () => {
    expect(isTransientDbError({ code: "P2002", message: "Unique constraint failed" })).toBe(false);
    expect(isTransientDbError(new SyncError("provider", "GitHub answered 500"))).toBe(false);
    expect(isTransientDbError(new TypeError("Cannot read properties of undefined"))).toBe(false);
    expect(isTransientDbError(null)).toBe(false);
  });
});
