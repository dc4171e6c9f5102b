// Why a provider's item failed its schema, in words a user can read: shared by the
// connectors' pure transforms ("GitHub sent a malformed item: title should be a string, got null").
import type { z } from "zod";

function describeInput(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : String(value);
}

/**
 * A failed item as a person reads it: what happened, in words, with the technical reason (the
 * schema's complaint, a status code) kept apart as `detail` for a "Details" disclosure.
 */
export function unreadableItem(provider: string, item: string, detail: string): { reason: string; detail: string } {
  return { reason: `${provider} sent this ${item} in a form 2nd Brain could not read, so it was skipped; the rest of the sync went on.`, detail };
}

/** `prefix` e.g. "GitHub sent a malformed item"; `root` names the item when an issue has no path. */
export function malformedReason(error: z.ZodError, raw: unknown, prefix: string, root: string): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.map(String).join(".") || root;
    let value: unknown = raw;
    for (const key of issue.path) value = typeof value === "object" && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
    if (issue.code === "invalid_type") {
      const expected = String(issue.expected);
      const article = /^[aeiou]/.test(expected) ? "an" : "a";
      return `${path} should be ${article} ${expected}, got ${value === undefined ? "nothing" : describeInput(value)}`;
    }
    return `${path}: ${issue.message}`;
  });
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : "";
  return `${prefix}: ${parts.join("; ")}${more}`;
}
