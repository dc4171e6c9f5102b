// Credentials at rest: AES-256-GCM with a key derived from APP_SECRET. The envelope names
// its key id so the key can rotate: "v1.<kid>.<iv>.<tag>.<ciphertext>" (base64url parts).
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { appSecret } from "@/lib/secret";

const KEY_ID = "k1";

function key(kid: string): Buffer {
  if (kid !== KEY_ID) throw new Error(`Unknown credentials key id "${kid}"`);
  return Buffer.from(hkdfSync("sha256", appSecret(), "2nd-brain", `credentials:${kid}`, 32));
}

export function encryptJson(value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key(KEY_ID), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
  return ["v1", KEY_ID, iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), body.toString("base64url")].join(".");
}

export function decryptJson<T>(envelope: string): T {
  const [version, kid, iv, tag, body] = envelope.split(".");
  if (version !== "v1" || !kid || !iv || !tag || body === undefined) throw new Error("Unreadable credentials envelope");
  const decipher = createDecipheriv("aes-256-gcm", key(kid), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  const text = Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
  return JSON.parse(text) as T;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function randomToken(prefix: string, bytes = 24): string {
  return `${prefix}${randomBytes(bytes).toString("base64url")}`;
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
