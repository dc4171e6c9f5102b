// Accounts and sessions: Better Auth on our Prisma client (hashed passwords, httpOnly cookies).
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { APIError, createAuthMiddleware, isAPIError } from "better-auth/api";
import { generateRandomString } from "better-auth/crypto";
import { db } from "@/lib/db";
import { clientAddress as requestAddress, requestOrigin } from "@/lib/http/client-address";
import { appSecret } from "@/lib/secret";
import { env } from "@/lib/env";
import { databaseKind } from "@/lib/database-url";
import { clearSignInFailures, consume, signInThrottle } from "@/lib/api/rate-limit";
import { queueSignUpAttemptEmail, queueVerificationEmail } from "@/lib/notify/account-mail";
import { publicOrigin } from "@/lib/notify/config";
import { logger } from "@/lib/platform/logger";

/** Longest display name accepted at sign-up (and on update). */
export const NAME_MAX_LENGTH = 100;
const PASSWORD_MIN_LENGTH = 8;
const PASSWORD_MAX_LENGTH = 128;

/** A 4xx in the app's error shape ({ success: false, error }), from inside Better Auth. */
function refuse(status: "BAD_REQUEST" | "TOO_MANY_REQUESTS", message: string, headers?: Record<string, string>): APIError {
  return new APIError(status, { success: false, error: message, message }, headers);
}

type HookContext = Parameters<Parameters<typeof createAuthMiddleware>[0]>[0];

/** The caller's address (TRUST_PROXY decides what is believed: lib/http/client-address.ts). */
function clientAddress(ctx: HookContext): string {
  const headers = ctx.request?.headers ?? ctx.headers;
  return (headers ? requestAddress(headers) : null) ?? "unknown";
}

function nameTooLong(name: unknown): boolean {
  return typeof name === "string" && name.length > NAME_MAX_LENGTH;
}

/**
 * Sign-up of an address that already has an account answers exactly like a new sign-up (200,
 * the same fields, a session cookie of the same shape that opens nothing), after the same
 * password hashing; the owner is told by email (lib/notify/account-mail.ts). Input Better Auth
 * would refuse is left to it, so a bad email or password answers the same either way.
 */
async function neutralSignUp(ctx: HookContext): Promise<unknown> {
  const startedAt = performance.now();
  const body = (ctx.body ?? {}) as { name?: unknown; email?: unknown; password?: unknown; image?: unknown };
  if (nameTooLong(body.name)) throw refuse("BAD_REQUEST", `name must be at most ${NAME_MAX_LENGTH} characters`);
  const { email, password, name } = body;
  if (typeof email !== "string" || typeof password !== "string" || typeof name !== "string") return undefined;
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) return undefined;
  const normalized = email.toLowerCase();
  const existing = await ctx.context.internalAdapter.findUserByEmail(normalized);
  if (!existing?.user) {
    signUpStarts.set(ctx.request ?? ctx.context, startedAt);
    return undefined;
  }
  await ctx.context.password.hash(password);
  await queueSignUpAttemptEmail(existing.user, publicOrigin()).catch((error: unknown) =>
    logger.error({ err: error }, "[auth] could not queue the sign-up attempt email"),
  );
  // A real sign-up also writes the account, its workspace and session: take as long as they do.
  const pad = Math.min(2000, typicalSignUpMs() - (performance.now() - startedAt));
  if (pad > 0) await new Promise((r) => setTimeout(r, pad * (0.9 + Math.random() * 0.2)));
  const now = new Date();
  const cookie = ctx.context.authCookies.sessionToken;
  const token = generateRandomString(32);
  await ctx.setSignedCookie(cookie.name, token, ctx.context.secret, { ...cookie.attributes, maxAge: ctx.context.sessionConfig.expiresIn });
  return ctx.json({
    token,
    user: {
      id: generateRandomString(32),
      name,
      email: normalized,
      emailVerified: false,
      image: typeof body.image === "string" ? body.image : null,
      createdAt: now,
      updatedAt: now,
    },
  });
}

/** When each real sign-up (a new address) began, by its request; and how long the last ones took (ms). */
const signUpStarts = new WeakMap<object, number>();
const recentSignUpMs: number[] = [];

function noteRealSignUp(ctx: HookContext): void {
  const startedAt = signUpStarts.get(ctx.request ?? ctx.context);
  if (startedAt === undefined || isAPIError(ctx.context.returned)) return;
  recentSignUpMs.push(performance.now() - startedAt);
  if (recentSignUpMs.length > 21) recentSignUpMs.shift();
}

/** The median of the last real sign-ups (0 before any): a cold first one does not skew it for long. */
function typicalSignUpMs(): number {
  if (recentSignUpMs.length === 0) return 0;
  const sorted = [...recentSignUpMs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Sign-in: growing delays per account and address (lib/api/rate-limit.ts), never a lock-out of the owner. */
async function throttleSignIn(ctx: HookContext): Promise<void> {
  const email = (ctx.body as { email?: unknown } | undefined)?.email;
  if (typeof email !== "string") return;
  const r = await signInThrottle(email, clientAddress(ctx), env().SIGNIN_FREE_ATTEMPTS);
  if (!r.allowed) {
    throw refuse("TOO_MANY_REQUESTS", `Too many wrong passwords for this account from your address; try again in ${r.retryAfterS} s.`, {
      "retry-after": String(r.retryAfterS),
    });
  }
}
import { processSingleton } from "@/lib/platform/singleton";

/** The origin the request was addressed to (forwarded headers only as TRUST_PROXY allows). */
function requestOrigins(request: Request | undefined): string[] {
  return request ? [requestOrigin(request)] : [];
}

function createAuth() {
  const e = env();
  return betterAuth({
    appName: "2nd Brain",
    secret: appSecret(),
    baseURL: e.APP_URL,
    database: prismaAdapter(db(), { provider: databaseKind(e.DATABASE_URL) === "postgres" ? "postgresql" : "sqlite" }),
    // Sign-in works before the address is verified (people try the app at once); mail does not
    // go to it until it is (lib/notify/outbox.ts).
    emailAndPassword: { enabled: true, minPasswordLength: PASSWORD_MIN_LENGTH, maxPasswordLength: PASSWORD_MAX_LENGTH, autoSignIn: true },
    emailVerification: {
      sendOnSignUp: true,
      autoSignInAfterVerification: true,
      expiresIn: 24 * 3600,
      // Through the outbox: it shows on the Notifications page without SMTP.
      sendVerificationEmail: async ({ user, url }) => queueVerificationEmail(user, url),
    },
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path === "/sign-up/email") return neutralSignUp(ctx);
        if (ctx.path === "/sign-in/email") return throttleSignIn(ctx);
        if (ctx.path === "/update-user" && nameTooLong((ctx.body as { name?: unknown } | undefined)?.name)) {
          throw refuse("BAD_REQUEST", `name must be at most ${NAME_MAX_LENGTH} characters`);
        }
        return undefined;
      }),
      after: createAuthMiddleware(async (ctx) => {
        if (ctx.path === "/sign-up/email") return noteRealSignUp(ctx);
        if (ctx.path !== "/sign-in/email") return;
        const email = (ctx.body as { email?: unknown } | undefined)?.email;
        // The right password: this address starts afresh.
        if (typeof email === "string" && ctx.context.newSession && !isAPIError(ctx.context.returned)) {
          await clearSignInFailures(email, clientAddress(ctx));
        }
      }),
    },
    session: { expiresIn: 60 * 60 * 24 * 30, updateAge: 60 * 60 * 24 },
    // Same-origin requests only: the app is served from one origin, whatever host it is reached on.
    trustedOrigins: async (request) => requestOrigins(request),
    advanced: { cookiePrefix: "sb", useSecureCookies: e.APP_URL?.startsWith("https://") ?? false },
    logger: { level: "error" },
    // Per client IP (Next.js sets x-forwarded-for from the socket; behind a proxy, the proxy's).
    rateLimit: {
      enabled: true,
      storage: "memory",
      // Many web instances (REDIS_URL) share one count per address.
      ...(e.REDIS_URL
        ? {
            customStorage: {
              consume: async (key: string, rule: { window: number; max: number }) => {
                const r = await consume(`auth:${key}`, rule.max, rule.window * 1000);
                return { allowed: r.allowed, retryAfter: r.allowed ? null : r.retryAfterS };
              },
            },
          }
        : {}),
      window: 60,
      max: 300,
      customRules: {
        "/sign-in/*": { window: 60, max: e.AUTH_RATE_LIMIT_PER_MIN },
        "/sign-up/*": { window: 60, max: e.AUTH_RATE_LIMIT_PER_MIN },
        // Each asks for an email: a few a minute per address.
        "/send-verification-email": { window: 60, max: 3 },
      },
    },
    databaseHooks: {
      user: {
        create: {
          // Every user starts with a personal workspace; all their data is owned by both.
          after: async (user) => {
            await db().workspace.create({
              data: { name: `${user.name || user.email}'s workspace`, memberships: { create: { userId: user.id, role: "owner" } } },
            });
          },
        },
      },
    },
  });
}

type Auth = ReturnType<typeof createAuth>;

export function auth(): Auth {
  return processSingleton<Auth>("auth", createAuth);
}

export interface Viewer {
  userId: string;
  workspaceId: string;
  email: string;
  name: string;
  /** Whether the address is confirmed: until it is, no sync email goes to it. */
  emailVerified?: boolean;
}

/** The signed-in user's id alone (one session lookup, no workspace), or null: for checks that only need ownership. */
export async function getSessionUserId(headers: Headers): Promise<string | null> {
  const session = await auth().api.getSession({ headers });
  return session?.user.id ?? null;
}

/** The signed-in user and their workspace, or null. */
export async function getViewer(headers: Headers): Promise<Viewer | null> {
  const session = await auth().api.getSession({ headers });
  if (!session) return null;
  const membership = await db().membership.findFirst({
    where: { userId: session.user.id },
    orderBy: { createdAt: "asc" },
    select: { workspaceId: true },
  });
  if (!membership) return null;
  return {
    userId: session.user.id,
    workspaceId: membership.workspaceId,
    email: session.user.email,
    name: session.user.name,
    emailVerified: session.user.emailVerified === true,
  };
}
