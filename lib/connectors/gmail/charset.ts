// Bytes of a Gmail message part to text: base64url bodies (with or without padding), MIME
// charsets (windows-1252 for ISO-8859-1, as the WHATWG Encoding Standard says), RFC 2047
// encoded words in headers, and the header and parameter lookups the MIME walk uses.

export class DecodeError extends Error {}

// ---------------------------------------------------------------- base64url and charsets

const B64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** Gmail's body.data: base64url, with or without "=" padding (plain base64's +/ accepted too). */
export function decodeBase64Url(data: string): Uint8Array {
  const s = data.replace(/\s+/g, "").replace(/\+/g, "-").replace(/\//g, "_");
  if (!B64URL.test(s)) throw new DecodeError("not valid base64url");
  const bare = s.replace(/=+$/, "");
  if (bare.length % 4 === 1) throw new DecodeError("not valid base64url (truncated)");
  const buf = Buffer.from(bare, "base64url");
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Bytes 0x80..0x9F of windows-1252 (and HTML's numeric references 128..159). */
export const WIN1252: Record<number, number> = {
  128: 0x20ac, 130: 0x201a, 131: 0x0192, 132: 0x201e, 133: 0x2026, 134: 0x2020, 135: 0x2021, 136: 0x02c6, 137: 0x2030,
  138: 0x0160, 139: 0x2039, 140: 0x0152, 142: 0x017d, 145: 0x2018, 146: 0x2019, 147: 0x201c, 148: 0x201d, 149: 0x2022,
  150: 0x2013, 151: 0x2014, 152: 0x02dc, 153: 0x2122, 154: 0x0161, 155: 0x203a, 156: 0x0153, 158: 0x017e, 159: 0x0178,
};

/** Labels that mean windows-1252 (the WHATWG Encoding Standard maps ISO-8859-1 and ASCII to it too). */
const WINDOWS_1252_LABELS = new Set([
  "windows-1252", "cp1252", "x-cp1252", "iso-8859-1", "iso8859-1", "iso_8859-1", "iso88591", "latin1", "l1", "ibm819", "cp819",
  "csisolatin1", "iso-ir-100", "us-ascii", "ascii", "ansi_x3.4-1968", "iso_8859-1:1987",
]);

/** Decodes bytes in a MIME charset; unknown charsets fall back to UTF-8 (with U+FFFD for bad bytes). */
export function decodeCharset(bytes: Uint8Array, charset: string | undefined): string {
  const label = (charset ?? "utf-8").trim().toLowerCase() || "utf-8";
  // Decoded here: some Node builds decode windows-1252 as plain ISO-8859-1 (0x93 -> U+0093, not “).
  if (WINDOWS_1252_LABELS.has(label)) {
    let out = "";
    for (let k = 0; k < bytes.length; k += 8192) {
      const chunk = Array.from(bytes.subarray(k, k + 8192), (b) => WIN1252[b] ?? b);
      out += String.fromCharCode(...chunk);
    }
    return out;
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label);
  } catch {
    decoder = new TextDecoder("utf-8");
  }
  return decoder.decode(bytes);
}

// ---------------------------------------------------------------- headers

/** RFC 2047 encoded words ("=?UTF-8?B?...?=", "=?iso-8859-1?Q?caf=E9?="); whitespace between two of them is dropped. */
export function decodeMimeWords(value: string): string {
  if (!value.includes("=?")) return value;
  const word = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
  const joined = value.replace(/(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)/g, "$1");
  return joined.replace(word, (whole, charset: string, enc: string, text: string) => {
    try {
      const cs = charset.split("*")[0]; // RFC 2231 language suffix
      let bytes: Uint8Array;
      if (enc.toUpperCase() === "B") {
        const buf = Buffer.from(text, "base64");
        bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      } else {
        const out: number[] = [];
        const q = text.replace(/_/g, " ");
        for (let k = 0; k < q.length; k++) {
          const c = q[k]!;
          if (c === "=" && /^[0-9A-Fa-f]{2}$/.test(q.slice(k + 1, k + 3))) {
            out.push(parseInt(q.slice(k + 1, k + 3), 16));
            k += 2;
          } else {
            out.push(...new TextEncoder().encode(c));
          }
        }
        bytes = Uint8Array.from(out);
      }
      return decodeCharset(bytes, cs);
    } catch {
      return whole;
    }
  });
}

export interface Header {
  name?: string | null;
  value?: string | null;
}

export function headerOf(headers: readonly Header[] | null | undefined, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const h of headers ?? []) {
    if (typeof h?.name === "string" && h.name.toLowerCase() === lower && typeof h.value === "string") return h.value;
  }
  return undefined;
}

export function paramOf(headerValue: string | undefined, param: string): string | undefined {
  if (!headerValue) return undefined;
  const m = new RegExp(`(?:^|;)\\s*${param}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, "i").exec(headerValue);
  return m ? (m[1] ?? m[2]) : undefined;
}

