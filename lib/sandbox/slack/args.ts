// Reading a Web API call: arguments from the query string and the body, the token, and typed
// arguments; an API error is HTTP 200 + {ok: false, error}.
import { parseTs } from "./data";

export class ApiError {
  constructor(
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {}
}

/** Arguments from the query string and a form-encoded or JSON body (the body wins), like Slack. */
export async function readArgs(req: Request, url: URL): Promise<URLSearchParams> {
  const args = new URLSearchParams(url.search);
  if (req.method === "GET" || req.method === "HEAD") return args;
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  const text = await req.text();
  if (!text) return args;
  if (type.includes("application/json")) {
    try {
      const body = JSON.parse(text) as unknown;
      if (body && typeof body === "object" && !Array.isArray(body)) {
        for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
          if (v === undefined || v === null) continue;
          args.set(k, typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(v));
        }
      }
    } catch {
      // Slack ignores a body it cannot read; the method then misses its arguments.
    }
    return args;
  }
  for (const [k, v] of new URLSearchParams(text)) args.set(k, v);
  return args;
}

export function bearerToken(req: Request, args: URLSearchParams): string | null {
  const header = req.headers.get("authorization");
  const m = header ? /^\s*bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (m) return m[1]!;
  const t = args.get("token");
  return t && t.trim() ? t.trim() : null;
}

export function intArg(raw: string | null, fallback: number, min: number, max: number): number {
  if (raw === null || raw.trim() === "") return fallback;
  const n = Number.parseInt(raw, 10);
  if (!Number.isFinite(n)) return fallback;
  if (n < min) return fallback;
  return Math.min(n, max);
}

export function boolArg(raw: string | null): boolean {
  return raw === "true" || raw === "1";
}

export function tsArg(args: URLSearchParams, name: "oldest" | "latest"): number | undefined {
  const raw = args.get(name);
  if (raw === null || raw.trim() === "" || raw === "0") return undefined;
  const micros = parseTs(raw);
  if (micros === null) throw new ApiError(`invalid_ts_${name}`);
  return micros;
}
