// Download URLs, like dl.boxcloud.com's: signed, short-lived, no bearer token, with Range support.
// The ticket carries the scenario's latency and fault at the time the URL was handed out.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { SandboxScenario } from "@/lib/contract";
import { HANG_CAP_MS, latencyOf } from "@/lib/sandbox/fault-layer";
import { sleep } from "@/lib/sandbox/sleep";
import { fileBytes, fileName, fileSize } from "./data";
import { BoxError } from "./errors";

export const DOWNLOAD_URL_TTL_MS = 15 * 60_000;

export interface DownloadTicket {
  /** Account key. */
  k: string;
  /** File index. */
  i: number;
  /** Edits of the file when the URL was handed out (its content version); absent: 0. */
  e?: number;
  /** Expiry, ms since epoch. */
  x: number;
  /** Scenario latency and fault at the time the URL was handed out (a real URL is as short-lived). */
  l: number;
  f: SandboxScenario["fault"];
}

export function signTicket(ticket: DownloadTicket, secret: Buffer): string {
  const payload = Buffer.from(JSON.stringify(ticket)).toString("base64url");
  const mac = createHmac("sha256", secret).update(payload).digest("base64url");
  return `${payload}.${mac}`;
}

function readTicket(raw: string, secret: Buffer): DownloadTicket | null {
  const [payload, mac, ...rest] = raw.split(".");
  if (!payload || !mac || rest.length) return null;
  const want = createHmac("sha256", secret).update(payload).digest();
  let got: Buffer;
  try {
    got = Buffer.from(mac, "base64url");
  } catch {
    return null;
  }
  if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
  try {
    const t = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as DownloadTicket;
    return typeof t.i === "number" && typeof t.x === "number" && typeof t.k === "string" ? t : null;
  } catch {
    return null;
  }
}

/** "bytes=a-b" / "bytes=a-" / "bytes=-n" for a body of `size` bytes; null = no (usable) range. */
function parseRange(header: string | null, size: number): { start: number; end: number } | "unsatisfiable" | null {
  if (!header) return null;
  const m = /^\s*bytes=(\d*)-(\d*)\s*$/.exec(header);
  if (!m || (m[1] === "" && m[2] === "")) return null;
  let start: number;
  let end: number;
  if (m[1] === "") {
    const n = Number(m[2]);
    start = Math.max(0, size - n);
    end = size;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size : Math.min(size, Number(m[2]) + 1);
  }
  if (start >= size || end <= start) return "unsatisfiable";
  return { start, end };
}

function streamBytes(i: number, edits: number, start: number, end: number, signal: AbortSignal): ReadableStream<Uint8Array> {
  const pieces = fileBytes(i, start, end, 65_536, edits);
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (signal.aborted) {
        controller.close();
        return;
      }
      const next = pieces.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel() {
      pieces.return(undefined);
    },
  });
}

interface DownloadAnswers {
  base: Record<string, string>;
  error(e: BoxError): Response;
  gone(): Response;
}

/** GET or HEAD of a download URL: the file's bytes (or a range of them). */
export async function serveDownload(req: Request, rawTicket: string, secret: Buffer, now: number, answers: DownloadAnswers): Promise<Response> {
  const { base, error, gone } = answers;
  const method = req.method.toUpperCase();
  if (method !== "GET" && method !== "HEAD") return error(new BoxError(405, "method_not_allowed", "Method Not Allowed"));
  const ticket = readTicket(rawTicket, secret);
  if (!ticket || ticket.x < now) {
    return new Response("Not Found", { status: 404, headers: { "content-type": "text/plain; charset=utf-8", ...base } });
  }
  if (ticket.f === "hang") {
    return (await sleep(HANG_CAP_MS, req.signal)) ? error(new BoxError(504, "gateway_timeout", "Gateway Timeout")) : gone();
  }
  if (!(await sleep(latencyOf({ items: 0, latency_ms: ticket.l, fault: ticket.f }), req.signal))) return gone();
  const edits = ticket.e ?? 0;
  const size = fileSize(ticket.i, edits);
  const range = parseRange(req.headers.get("range"), size);
  const headers: Record<string, string> = {
    ...base,
    // Box documents the content as "binary format": octet-stream, whatever the file is.
    "content-type": "application/octet-stream",
    "accept-ranges": "bytes",
    "content-disposition": `attachment;filename="${fileName(ticket.i, edits).replace(/[^\x20-\x7e]/g, "_").replace(/"/g, "'")}";filename*=UTF-8''${encodeURIComponent(fileName(ticket.i, edits))}`,
  };
  if (range === "unsatisfiable") {
    return new Response(null, { status: 416, headers: { ...headers, "content-range": `bytes */${size}` } });
  }
  const { start, end } = range ?? { start: 0, end: size };
  headers["content-length"] = String(end - start);
  if (range) headers["content-range"] = `bytes ${start}-${end - 1}/${size}`;
  const body = method === "HEAD" ? null : streamBytes(ticket.i, edits, start, end, req.signal);
  return new Response(body, { status: range ? 206 : 200, headers });
}
