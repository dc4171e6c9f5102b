import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger, logLevel } from "./logger";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split("\n")) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

const saved = process.env.LOG_LEVEL;
afterEach(() => {
  if (saved === undefined) delete process.env.LOG_LEVEL;
  else process.env.LOG_LEVEL = saved;
});

describe("logger", () => {
  it("writes JSON lines with the message words in msg", () => {
    delete process.env.LOG_LEVEL;
    const { lines, stream } = capture();
    createLogger(stream).warn("[notify] email n1 attempt 2 failed");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, msg: "[notify] email n1 attempt 2 failed" });
  });

  it("carries the run id on every line of a child", () => {
    const { lines, stream } = capture();
    const log = createLogger(stream).child({ run_id: "r1" });
    log.info("one");
    log.error({ err: new Error("boom") }, "two");
    expect(lines.map((l) => l.run_id)).toEqual(["r1", "r1"]);
    expect(lines[1]!.err).toMatchObject({ type: "Error", message: "boom" });
  });

  it("redacts secrets", () => {
    const { lines, stream } = capture();
    createLogger(stream).info(
      {
        authorization: "Bearer a",
        cookie: "s=1",
        connection: { accessToken: "at", refreshToken: "rt", credentials: "c", password: "p", token: "t", id: "kept" },
      },
      "secrets",
    );
    const out = JSON.stringify(lines[0]);
    for (const secret of ["Bearer a", "s=1", '"at"', '"rt"', '"c"', '"p"', '"t"']) expect(out).not.toContain(secret);
    expect(out).toContain("kept");
  });

  it("takes its level from LOG_LEVEL (default info) and rejects a bad one by name", () => {
    expect(logLevel(undefined)).toBe("info");
    expect(logLevel("")).toBe("info");
    expect(logLevel("debug")).toBe("debug");
    expect(() => logLevel("loud")).toThrow(/LOG_LEVEL/);
    process.env.LOG_LEVEL = "warn";
    const { lines, stream } = capture();
    const log = createLogger(stream);
    log.info("hidden");
    log.warn("shown");
    expect(lines.map((l) => l.msg)).toEqual(["shown"]);
  });
});
