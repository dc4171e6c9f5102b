import { describe, expect, it } from "vitest";
import { formatEvent, formatRetry, parseLastEventId, PING } from "@/lib/progress/sse";

describe("SSE framing", () => {
  it("frames id, event and data, then a blank line", () => {
    expect(formatEvent({ id: 7, event: "progress", data: '{"a":1}' })).toBe('id: 7\nevent: progress\ndata: {"a":1}\n\n');
  });
  it("splits multi-line data into several data lines", () => {
    expect(formatEvent({ id: 1, event: "x", data: "a\nb\r\nc" })).toBe("id: 1\nevent: x\ndata: a\ndata: b\ndata: c\n\n");
  });
  it("has a retry field and a comment ping", () => {
    expect(formatRetry()).toBe("retry: 2000\n\n");
    expect(PING).toBe(": ping\n\n");
  });
  it.each([
    [null, { kind: "none" }],
    ["", { kind: "none" }],
    ["12", { kind: "valid", seq: 12 }],
    [" 3 ", { kind: "valid", seq: 3 }],
  ] as const)("parses Last-Event-ID %j", (v, expected) => {
    expect(parseLastEventId(v)).toEqual(expected);
  });
  it.each(["-1", "abc", "1.5", "1e3", "99999999999999999999", "12abc"])("rejects Last-Event-ID %j", (v) => {
    expect(parseLastEventId(v).kind).toBe("invalid");
  });
});
