// Accounts and sessions: Better Auth on our Prisma client (hashed passwords, httpOnly cookies).
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { db } from "@/lib/db";
import { appSecret } from "@/lib/secret";
import { env } from "@/lib/env";
import { databaseKind } from "@/lib/database-url";
import { consume } from "@/lib/api/rate-limit";
import { processSingleton } from "@/lib/platform/singleton";

function requestOrigin(request: Request | undefined): string[] {
  if (!request) return [];
  const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host");
  if (!host) return [];
  const proto = request.headers.get("x-forwarded-proto") ?? new URL(request.url).protocol.replace(":", "");
  return [`${proto}://${host}`];
}

function createAuth() {
  const e = env();
  return betterAuth({
    appName: "2nd Brain",
    secret: appSecret(),
    baseURL: e.APP_URL,
    database: prismaAdapter(db(), { provider: databaseKind(e.DATABASE_URL) === "postgres" ? "postgresql" : "sqlite" }),
    emailAndPassword: { enabled: true, minPasswordLength: 8, maxPasswordLength: 128, autoSignIn: true },
    session: { expiresIn: 60 * 60 * 24 * 30, updateAge: 60 * 60 * 24 },
    // Same-origin requests only: the app is served from one origin, whatever host it is reached on.
    trustedOrigins: async (request) => requestOrigin(request),
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
  return { userId: session.user.id, workspaceId: membership.workspaceId, email: session.user.email, name: session.user.name };
}
