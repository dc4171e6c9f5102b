// Request bodies read with a ceiling: refused by Content-Length before a byte is read, and the
// read stopped (the rest never buffered) as soon as a body without one passes the limit. A
// 400 MB sign-in once took the process from 0.8 to 2.2 GB because bodies were read whole first.
import { ApiError } from "@/lib/api/errors";

/** JSON bodies of the API and the auth routes. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

export function bodyTooLarge(limit: number): ApiError {
  return new ApiError(413, `Request body is too large (at most ${Math.round(limit / 1024)} KB)`);
}

/** The body's bytes, at most `limit` of them, else a 413 ApiError. */
export async function readBodyCapped(req: Request, limit = MAX_JSON_BODY_BYTES): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > limit) throw bodyTooLarge(limit);
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw bodyTooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** The body as text (UTF-8, a leading BOM dropped as Request.text() does), capped like readBodyCapped. */
export async function readTextCapped(req: Request, limit = MAX_JSON_BODY_BYTES): Promise<string> {
  return new TextDecoder().decode(await readBodyCapped(req, limit));
}
