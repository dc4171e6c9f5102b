// Small sealed envelopes for short-lived server state that travels through the browser or a
// provider (the OAuth state cookie, the sandbox's authorization codes): AES-256-GCM with a key
// derived from APP_SECRET per purpose, the purpose also bound as associated data, so a value
// sealed for one use never opens for another. Not for stored credentials (lib/crypto.ts).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { appSecret } from "@/lib/secret";

const VERSION = "s1";

function keyFor(purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", appSecret(), "2nd-brain", `seal:${purpose}`, 32));
}

/** `s1.<iv|tag|ciphertext base64url>` — URL- and cookie-safe. */
export function seal(purpose: string, value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyFor(purpose), iv);
  cipher.setAAD(Buffer.from(purpose));
  const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url")}`;
}

/** The sealed value, or null when it was tampered with, sealed for another purpose or unreadable. */
export function unseal<T = unknown>(purpose: string, sealed: string): T | null {
  if (typeof sealed !== "string" || sealed.length > 8192 || !sealed.startsWith(`${VERSION}.`)) return null;
  const encoded = sealed.slice(VERSION.length + 1);
  const raw = Buffer.from(encoded, "base64url");
  // Only the canonical encoding: Node's decoder skips stray characters, a sealed value may not have any.
  if (raw.length < 12 + 16 + 1 || raw.toString("base64url") !== encoded) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", keyFor(purpose), raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(purpose));
    decipher.setAuthTag(raw.subarray(12, 28));
    const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}
