// OAuth `state` (and the PKCE verifier) without a table: a random state, bound to the
// signed-in user and the provider, valid 10 minutes, kept sealed (AES-256-GCM, lib/oauth/seal)
// in an httpOnly SameSite=Lax cookie scoped to /api/integrations, one cookie per provider.
// The callback clears the cookie whatever happens, and a state it accepted once is remembered
// until it expires, so neither the URL nor a copied cookie can be replayed.
import { createHash, randomBytes } from "node:crypto";
import { env } from "@/lib/env";
import { safeEqual } from "@/lib/crypto";
import { seal, unseal } from "@/lib/oauth/seal";
import type { OAuthErrorCode } from "@/lib/contract/api";
import type { ConnectorType } from "@/lib/contract";
import { processSingleton } from "@/lib/platform/singleton";

const PURPOSE = "oauth-state";
export const STATE_TTL_MS = 10 * 60_000;
export const STATE_COOKIE_PATH = "/api/integrations";

interface StatePayload {
  v: 1;
  /** The `state` sent to the provider. */
  s: string;
  /** The user who started the flow. */
  u: string;
  p: ConnectorType;
  /** PKCE code_verifier (providers with PKCE). */
  cv?: string;
  /** Expiry, ms since epoch. */
  exp: number;
}

export function stateCookieName(type: ConnectorType): string {
  return `sb_oauth_${type}`;
}

function secureCookies(): boolean {
  return env().APP_URL?.startsWith("https://") ?? false;
}

function cookieAttributes(maxAgeS: number): string {
  return `Path=${STATE_COOKIE_PATH}; Max-Age=${maxAgeS}; HttpOnly; SameSite=Lax${secureCookies() ? "; Secure" : ""}`;
}

/** PKCE (RFC 7636): a 43-character verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: s256(verifier) };
}

export function s256(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

export interface NewState {
  state: string;
  /** PKCE challenge to send with the authorize request (when the provider supports PKCE). */
  challenge?: string;
  /** The Set-Cookie header value. */
  setCookie: string;
}

export function newOAuthState(userId: string, type: ConnectorType, withPkce: boolean, now = Date.now()): NewState {
  const state = randomBytes(24).toString("base64url");
  const pkce = withPkce ? pkcePair() : undefined;
  const payload: StatePayload = { v: 1, s: state, u: userId, p: type, exp: now + STATE_TTL_MS, ...(pkce ? { cv: pkce.verifier } : {}) };
  const value = seal(PURPOSE, payload);
  return {
    state,
    ...(pkce ? { challenge: pkce.challenge } : {}),
    setCookie: `${stateCookieName(type)}=${value}; ${cookieAttributes(Math.floor(STATE_TTL_MS / 1000))}`,
  };
}

/** The Set-Cookie header value that deletes the provider's state cookie. */
export function clearStateCookie(type: ConnectorType): string {
  return `${stateCookieName(type)}=; ${cookieAttributes(0)}`;
}

export function readCookie(cookieHeader: string | null, name: string): string | null {
  if (!cookieHeader) return null;
  for (const part of cookieHeader.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

// ---------------------------------------------------------------- spent states (this process)

const MAX_SPENT = 10_000;

/** Records the state as used; false when it already was. */
function spend(state: string, exp: number, now: number): boolean {
  const spent = processSingleton("oauth.spent-states", () => new Map<string, number>());
  for (const [k, until] of spent) {
    if (until > now && spent.size <= MAX_SPENT) break; // oldest first: stop at the first live one
    spent.delete(k);
  }
  const key = createHash("sha256").update(state).digest("base64url");
  if (spent.has(key)) return false;
  spent.set(key, exp);
  return true;
}

export type StateCheck = { ok: true; verifier?: string } | { ok: false; code: OAuthErrorCode };

/**
 * Checks the callback's `state` against the cookie: present, untampered, unexpired, the same
 * state, the same provider, the same signed-in user, and not used before.
 */
export function checkOAuthState(opts: {
  cookie: string | null;
  state: string | null;
  userId: string;
  type: ConnectorType;
  now?: number;
}): StateCheck {
  const now = opts.now ?? Date.now();
  if (!opts.cookie) return { ok: false, code: "state_missing" };
  const payload = unseal<StatePayload>(PURPOSE, opts.cookie);
  if (!payload || payload.v !== 1 || typeof payload.s !== "string" || typeof payload.u !== "string" || typeof payload.exp !== "number") {
    return { ok: false, code: "state_invalid" };
  }
  if (payload.exp <= now) return { ok: false, code: "state_expired" };
  if (!opts.state || opts.state.length > 512 || payload.p !== opts.type || !safeEqual(payload.s, opts.state)) {
    return { ok: false, code: "state_mismatch" };
  }
  if (payload.u !== opts.userId) return { ok: false, code: "user_mismatch" };
  if (!spend(payload.s, payload.exp, now)) return { ok: false, code: "state_replayed" };
  return { ok: true, ...(typeof payload.cv === "string" ? { verifier: payload.cv } : {}) };
}
