// Where to go after signing in (`?next=`): only a path on the app's own origin. The raw value is
// resolved against the origin the way a browser would resolve it (tabs and newlines dropped,
// backslashes read as slashes), so `/%09/evil.example`, `/\evil.example` or `//evil.example` are
// seen for what they are: another origin.
export const DEFAULT_NEXT_PATH = "/integrations";

// Controls (the URL parser drops tab/CR/LF, which is how /%09/evil.example becomes //evil.example).
const CONTROL = /[\u0000-\u001f\u007f]/;

/** `raw` as a same-origin path (with its query and fragment), or `fallback`. */
export function safeNextPath(raw: string | null | undefined, origin: string, fallback = DEFAULT_NEXT_PATH): string {
  if (!raw || raw.length > 2048 || !raw.startsWith("/") || CONTROL.test(raw)) return fallback;
  let url: URL;
  let base: URL;
  try {
    base = new URL(origin);
    url = new URL(raw, base);
  } catch {
    return fallback;
  }
  if (url.origin !== base.origin) return fallback;
  // A path that itself starts with // (e.g. "/.//evil.example") would be read as another host
  // when the browser is handed the path alone.
  const path = url.pathname.replace(/^\/{2,}/, "/");
  return `${path}${url.search}${url.hash}`;
}
