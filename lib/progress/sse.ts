// Server-Sent Events framing (https://html.spec.whatwg.org/multipage/server-sent-events.html).
export const SSE_HEADERS: Record<string, string> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
};

export const RETRY_MS = 2000;
export const PING_INTERVAL_MS = 15_000;

export function formatEvent(e: { id: number; event: string; data: string }): string {
  // A data field may not contain a newline; split so any payload survives framing.
  const data = e.data
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}`)
    .join("\n");
  return `id: ${e.id}\nevent: ${e.event}\n${data}\n\n`;
}

export function formatRetry(ms = RETRY_MS): string {
  return `retry: ${ms}\n\n`;
}

export const PING = ": ping\n\n";

export type LastEventId = { kind: "none" } | { kind: "valid"; seq: number } | { kind: "invalid"; reason: string };

/** Parses a Last-Event-ID header value (our ids are non-negative integers). */
export function parseLastEventId(value: string | null): LastEventId {
  if (value === null || value.trim() === "") return { kind: "none" };
  const v = value.trim();
  if (!/^\d{1,15}$/.test(v)) {
    return { kind: "invalid", reason: "Last-Event-ID must be a non-negative integer event id from this stream" };
  }
  return { kind: "valid", seq: Number(v) };
}
