// The headers every page and route answers with (next.config.ts applies them to what Next.js
// serves; lib/progress/node-stream.ts to the progress streams the custom server serves itself):
// no framing, no third-party anything, no referrer leaks.
export function securityHeaders(dev = process.env.NODE_ENV !== "production"): { key: string; value: string }[] {
  const csp = [
    "default-src 'self'",
    // Next.js inlines its bootstrap scripts; the dev server also evals for fast refresh.
    `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "frame-src 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'self'",
    "object-src 'none'",
  ].join("; ");
  return [
    { key: "Content-Security-Policy", value: csp },
    { key: "X-Frame-Options", value: "DENY" },
    { key: "X-Content-Type-Options", value: "nosniff" },
    { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
    { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
    { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  ];
}
