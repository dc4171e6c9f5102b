import { describe, expect, it } from "vitest";
import { statusView } from "@/components/notifications/status";

describe("delivery status in the outbox", () => {
  it.each([
    [{ status: "sent", last_error: null, attempts: 1 }, "Sent", null],
    [{ status: "stored", last_error: null, attempts: 0 }, "In outbox", "In outbox — email sending is not set up on this server, so it was kept here instead of sent."],
    [{ status: "pending", last_error: "Could not connect", attempts: 2 }, "Retrying", "Retrying: Could not connect"],
    [{ status: "pending", last_error: null, attempts: 0 }, "Sending", "Waiting to be sent…"],
    [{ status: "failed", last_error: "refused", attempts: 10 }, "Failed", "Failed: refused"],
  ] as const)("%j -> %s", (n, label, detail) => {
    const v = statusView(n);
    expect(v.label).toBe(label);
    expect(v.detail).toBe(detail);
  });
});
