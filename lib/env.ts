// Settings, parsed once with zod; a bad value fails loudly with the variable's name.
import { z } from "zod";
import { DEFAULT_DATABASE_URL, databaseKind } from "@/lib/database-url";
import { parseTrustProxy } from "@/lib/http/trust-proxy.mjs";
import { MANIFESTS, type OAuthEnvPrefix } from "@/lib/connectors/manifests";
import type { ProviderManifest } from "@/lib/connectors/manifest";
import type { ConnectorType } from "@/lib/contract";

const seconds = (def: number) =>
  z.coerce.number().positive().max(7 * 24 * 3600).default(def);

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v));

/** An OAuth or API endpoint: an absolute http(s) URL; unset or empty takes the provider's real one. */
const endpoint = (def: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? def : v.trim()))
    .refine((v) => {
      try {
        const u = new URL(v);
        return (u.protocol === "https:" || u.protocol === "http:") && !u.username && !u.password && !u.hash;
      } catch {
        return false;
      }
    }, "must be an absolute http(s) URL without credentials or #fragment");

/** OAuth apps, one per provider (Gmail's is a Google Cloud OAuth client): each manifest's prefix. */
export const OAUTH_ENV_PREFIXES = Object.fromEntries(Object.values(MANIFESTS).map((m) => [m.type, m.oauth.envPrefix])) as {
  readonly [K in ConnectorType]: (typeof MANIFESTS)[K]["oauth"]["envPrefix"];
};

type ProviderSettings = { [K in `${OAuthEnvPrefix}_${"CLIENT_ID" | "CLIENT_SECRET"}`]: typeof optionalString } & {
  [K in `${OAuthEnvPrefix}_${"AUTHORIZE" | "TOKEN" | "REVOKE" | "API"}_URL`]: ReturnType<typeof endpoint>;
};

/**
 * Every provider's OAuth app and endpoints, from its manifest: <PREFIX>_CLIENT_ID and _SECRET,
 * and _AUTHORIZE_URL, _TOKEN_URL, _REVOKE_URL, _API_URL defaulting to the real provider's (settings
 * so the built-in sandboxes can stand in).
 */
export function providerSettingsShape(manifests: Iterable<Pick<ProviderManifest<string>, "oauth">>): Record<string, z.ZodType> {
  const shape: Record<string, z.ZodType> = {};
  for (const { oauth } of manifests) {
    const p = oauth.envPrefix;
    shape[`${p}_CLIENT_ID`] = optionalString;
    shape[`${p}_CLIENT_SECRET`] = optionalString;
    shape[`${p}_AUTHORIZE_URL`] = endpoint(oauth.endpoints.authorize);
    shape[`${p}_TOKEN_URL`] = endpoint(oauth.endpoints.token);
    shape[`${p}_REVOKE_URL`] = endpoint(oauth.endpoints.revoke);
    shape[`${p}_API_URL`] = endpoint(oauth.endpoints.api);
  }
  return shape;
}

/** Half an OAuth app is a mistake worth stopping for: the missing half's name, per prefix. */
export function halfConfiguredApps(e: Readonly<Record<string, unknown>>, prefixes: Iterable<string>): { missing: string; prefix: string }[] {
  const out: { missing: string; prefix: string }[] = [];
  for (const prefix of prefixes) {
    const id = e[`${prefix}_CLIENT_ID`];
    const secret = e[`${prefix}_CLIENT_SECRET`];
    if ((id === undefined) !== (secret === undefined)) out.push({ prefix, missing: id === undefined ? `${prefix}_CLIENT_ID` : `${prefix}_CLIENT_SECRET` });
  }
  return out;
}

function providerSettings(): ProviderSettings {
  return providerSettingsShape(Object.values(MANIFESTS)) as ProviderSettings;
}

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  DATABASE_URL: z
    .string()
    .default(DEFAULT_DATABASE_URL)
    .refine((v) => {
      try {
        databaseKind(v);
        return true;
      } catch {
        return false;
      }
    }, 'must start with "file:" (SQLite) or "postgres://" (PostgreSQL)'),
  /** PostgreSQL connections per process (each web instance and worker has its own pool). */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(500).default(20),
  REDIS_URL: optionalString,
  /** Prefix of every Redis key and channel: deployments (or test runs) sharing one Redis stay apart. */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/, "letters, digits, _ . - only (at most 40)").default("2b"),
  /**
   * The app's public URL: the only source of OAuth redirect URIs and links, and where this server
   * reaches itself (the built-in sandboxes are served under it). Required in production.
   */
  APP_URL: optionalString.pipe(
    z
      .string()
      .refine((v) => {
        try {
          const u = new URL(v);
          return (u.protocol === "https:" || u.protocol === "http:") && !u.username && !u.password;
        } catch {
          return false;
        }
      }, "must be an absolute http(s) URL without credentials")
      .optional(),
  ),
  /**
   * Whether X-Forwarded-For/-Host/-Proto are believed: unset (no), a hop count, or the proxies'
   * addresses/CIDRs (lib/http/trust-proxy.mjs).
   */
  TRUST_PROXY: optionalString.refine((v) => {
    try {
      parseTrustProxy(v);
      return true;
    } catch {
      return false;
    }
  }, 'a hop count (1-10), or proxy addresses / CIDR ranges separated by commas ("loopback" for 127.0.0.0/8 and ::1)'),
  /** Progress streams one user may hold open at once (across instances with REDIS_URL); beyond it 429. */
  STREAMS_PER_USER: z.coerce.number().int().min(1).max(100_000).default(8),
  /** Progress streams this process holds open at once. Unset: half its open-file limit, at most 5,000. */
  STREAMS_PER_INSTANCE: z.coerce.number().int().min(1).max(1_000_000).optional(),
  SYNC_CONNECT_TIMEOUT_S: seconds(30),
  SYNC_REQUEST_TIMEOUT_S: seconds(30),
  SYNC_STALL_TIMEOUT_S: seconds(120),
  SYNC_TIMEOUT_S: seconds(3600),
  /** Longest a run waits on one provider rate limit before giving up on it. */
  SYNC_MAX_RATE_LIMIT_WAIT_S: seconds(900),
  /** Attempts per provider request on network errors and 5xx answers. */
  SYNC_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(4),
  /** A run whose process has not beaten for this long is presumed dead and resumed elsewhere. */
  SYNC_STALE_AFTER_S: z.coerce.number().min(3).max(3600).default(30),
  /** Runs one process executes at once (a worker, or the web server in the embedded mode). */
  SYNC_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(16),
  /** Runs of one user executing at once, across every process; the rest wait, saying so. */
  SYNC_MAX_RUNS_PER_USER: z.coerce.number().int().min(1).max(100).default(4),
  /** Runs against one provider account executing at once (they share its quota). */
  SYNC_MAX_RUNS_PER_ACCOUNT: z.coerce.number().int().min(1).max(100).default(1),
  /**
   * One user's share of this process's run slots (lib/sync/fair-share.ts). Unset: a fifth of
   * SYNC_WORKER_CONCURRENCY (at least 1), so a few busy users never take every slot.
   */
  SYNC_RUNS_PER_USER: z.coerce.number().int().min(1).max(500).optional(),
  /**
   * Whether the built-in sandboxes (/sandbox/*, Connect sandbox) are served. Unset: on, except
   * with NODE_ENV=production (scripts/start.mjs, the embedded start, turns it on unless the
   * operator's environment says production).
   */
  SANDBOX_ENABLED: optionalString.pipe(z.enum(["true", "false"]).optional()),
  /**
   * Serverless hosts with a maximum duration: a run executes in slices of at most this many
   * seconds, each ending at a checkpoint and queued again at once. Unset: one slice.
   */
  SYNC_SLICE_S: z.coerce.number().positive().max(24 * 3600).optional(),
  /**
   * Whether the web server executes runs itself. Default: yes without REDIS_URL (the embedded
   * mode), no with it (`npm run worker` processes do).
   */
  SYNC_RUN_IN_WEB: optionalString.pipe(z.enum(["true", "false"]).optional()),
  /**
   * How runs execute. process: in this server (default without REDIS_URL). queue: BullMQ
   * workers (default with REDIS_URL). serverless: no process of ours lives between requests
   * (Vercel and the like; default when VERCEL is set): each slice runs in an invocation through
   * `after()`, ends at a checkpoint and starts the next with a signed request to APP_URL; the
   * cron route (/api/cron/sync-sweep) picks up any run whose chain broke.
   */
  SYNC_EXECUTION: optionalString.pipe(z.enum(["process", "queue", "serverless"]).optional()),
  /** Bearer token the platform's cron sends to /api/cron/sync-sweep (Vercel sends CRON_SECRET itself). */
  CRON_SECRET: optionalString.pipe(z.string().min(16, "at least 16 characters").optional()),
  /** Vercel deployment protection: lets the app's continuation requests to itself through. */
  VERCEL_AUTOMATION_BYPASS_SECRET: optionalString,
  /** Read by scripts/node-flags.mjs (V8 flags of the server and worker processes); listed here so a bad value is named. */
  OPTIMIZE_FOR: optionalString.pipe(z.enum(["memory", "speed"]).optional()),
  /** Per client IP, per minute: sign-in and sign-up attempts. */
  AUTH_RATE_LIMIT_PER_MIN: z.coerce.number().int().min(1).default(10),
  /**
   * Wrong passwords for one account from one address before each next try there must wait
   * (1 s, doubling, at most 15 min); a right password clears it. Other addresses are unaffected.
   */
  SIGNIN_FREE_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(3),
  /** Per user, per minute: new syncs started (attaching to a running one is free). */
  SYNC_START_LIMIT_PER_MIN: z.coerce.number().int().min(1).default(20),
  /** Caps that stop a run early, saying so (never silently). */
  SYNC_MAX_PAGES: z.coerce.number().int().min(1).default(1000),
  SLACK_MAX_CHANNELS: z.coerce.number().int().min(1).default(200),
  SLACK_MAX_MESSAGES_PER_CHANNEL: z.coerce.number().int().min(1).default(10_000),
  BOX_MAX_FOLDERS: z.coerce.number().int().min(1).default(1000),
  SMTP_HOST: optionalString,
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  SMTP_USER: optionalString,
  SMTP_PASSWORD: optionalString,
  SMTP_FROM_EMAIL: optionalString,
  SMTP_FROM_NAME: optionalString,
  /** PEM file with the certificate(s) to trust for the SMTP server (a private CA or a self-signed test server). */
  SMTP_TLS_CA: optionalString,
  /** "false" accepts any SMTP server certificate: local test servers only. */
  SMTP_TLS_REJECT_UNAUTHORIZED: optionalString.pipe(z.enum(["true", "false"]).optional()).transform((v) => v !== "false"),
  /** First retry delay of an email that could not be sent; doubles per attempt (with jitter), capped at 30 min. */
  NOTIFY_RETRY_BASE_MS: z.coerce.number().int().min(10).max(30 * 60_000).default(30_000),
  /** Attempts per email before it is marked failed. */
  NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(10),
  APP_SECRET: optionalString,
  // OAuth apps and the provider endpoints, from each provider's manifest.
  ...providerSettings(),
}).superRefine((e, ctx) => {
  // A deployment must not build links from whatever Host a request carried. The embedded
  // `npm start` on a laptop is not one (scripts/server.mjs sets NODE_ENV=production for Next.js
  // and says so); neither is `next build`.
  const deployed = e.NODE_ENV === "production" && !process.env.__2B_LOCAL_START && process.env.NEXT_PHASE !== "phase-production-build";
  if (deployed && !e.APP_URL) {
    ctx.addIssue({ code: "custom", path: ["APP_URL"], message: "required with NODE_ENV=production: the public URL people open (e.g. https://brain.example.com)" });
  }
  if (e.SYNC_EXECUTION === "queue" && !e.REDIS_URL) {
    ctx.addIssue({ code: "custom", path: ["SYNC_EXECUTION"], message: "queue needs REDIS_URL (BullMQ)" });
  }
  if (e.SYNC_RUN_IN_WEB === "false" && !e.REDIS_URL) {
    ctx.addIssue({ code: "custom", path: ["SYNC_RUN_IN_WEB"], message: "false needs REDIS_URL (workers take runs from its queue)" });
  }
  // Half an OAuth app is a mistake worth stopping for: name the missing half.
  for (const { prefix, missing } of halfConfiguredApps(e, Object.values(OAUTH_ENV_PREFIXES))) {
    ctx.addIssue({ code: "custom", path: [missing], message: `set ${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET together (or neither)` });
  }
});

export type Env = z.infer<typeof schema>;

let cached: Env | undefined;

export function env(): Env {
  if (cached) return cached;
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid settings:\n${lines.join("\n")}`);
  }
  cached = parsed.data;
  return cached;
}

export type ExecutionShape = "process" | "queue" | "serverless";

/** Where runs execute (see SYNC_EXECUTION). */
export function executionShape(): ExecutionShape {
  const e = env();
  if (e.SYNC_EXECUTION) return e.SYNC_EXECUTION;
  if (process.env.VERCEL) return "serverless";
  return e.REDIS_URL ? "queue" : "process";
}

/** Whether the built-in sandboxes are served (see SANDBOX_ENABLED). */
export function sandboxEnabled(): boolean {
  const e = env();
  return e.SANDBOX_ENABLED ? e.SANDBOX_ENABLED === "true" : e.NODE_ENV !== "production";
}

/** Whether this web server executes sync runs (see SYNC_RUN_IN_WEB). */
export function runsInWeb(): boolean {
  const e = env();
  return e.SYNC_RUN_IN_WEB ? e.SYNC_RUN_IN_WEB === "true" : !e.REDIS_URL;
}

/** The origin the server reaches itself on (sandbox base URLs are built from it). */
export function internalOrigin(): string {
  const e = env();
  return (e.APP_URL ?? `http://127.0.0.1:${e.PORT}`).replace(/\/$/, "");
}
