import { afterEach, describe, expect, it } from "vitest";
import { processSingleton } from "./singleton";

const key = "test.singleton";
const symbol = Symbol.for(`2nd-brain.${key}`);

afterEach(() => {
  delete (globalThis as Record<symbol, unknown>)[symbol];
});

describe("processSingleton", () => {
  it("creates once and shares the value under Symbol.for('2nd-brain.<key>')", () => {
    let created = 0;
    const a = processSingleton(key, () => ({ n: ++created }));
    const b = processSingleton(key, () => ({ n: ++created }));
    expect(a).toBe(b);
    expect(created).toBe(1);
    expect((globalThis as Record<symbol, unknown>)[symbol]).toBe(a);
  });

  it("creates again once the value has been removed", () => {
    const a = processSingleton(key, () => ({}));
    delete (globalThis as Record<symbol, unknown>)[symbol];
    expect(processSingleton(key, () => ({}))).not.toBe(a);
  });
});
