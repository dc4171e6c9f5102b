// Live connections: credentials from the provider's OAuth flow or a pasted token, stored only
// encrypted (lib/crypto.ts); and disconnecting, which revokes at the provider where it can,
// forgets the credentials and, when asked, the synced documents.
import { db } from "@/lib/db";
import type { Viewer } from "@/lib/auth";
import { ApiError } from "@/lib/api/errors";
import { consume } from "@/lib/api/rate-limit";
import { decryptJson, encryptJson } from "@/lib/crypto";
import { isAvailable, providerLabel } from "@/lib/connectors/registry";
import type { ConnectorCredentials } from "@/lib/connectors/types";
import { getIntegration } from "@/lib/connections/service";
import { checkToken, revokeAtProvider, type TokenSet } from "@/lib/oauth/flow";
import { oauthProvider } from "@/lib/oauth/providers";
import { revokeSandboxAccount } from "@/lib/sandbox/accounts";
import type { IntegrationSummary } from "@/lib/contract/api";
import type { ConnectorType } from "@/lib/contract";

/** What a live connection stores (encrypted). `source` says how it came (for messages only). */
export interface StoredCredentials extends ConnectorCredentials {
  source?: "oauth" | "token";
}

const MAX_PASTED_TOKEN = 4096;
const TOKEN_CHECKS_PER_MIN = 10;

function runningError(label: string, doing: string): ApiError {
  return new ApiError(409, `A ${label} sync is running; wait for it to finish or cancel it, then ${doing}.`);
}

/**
 * A run that failed or was cancelled left a checkpoint the next sync would continue from;
 * after the credentials change it belongs to another account (or to the sandbox): drop it.
 */
async function forgetResumePoints(connectionId: string): Promise<void> {
  await db().syncRun.updateMany({
    where: { connectionId, finishedAt: { not: null }, status: { not: "complete" }, checkpoint: { not: null } },
    data: { checkpoint: null },
  });
}

/** Stores live credentials on the viewer's connection: mode live, connected, cursor reset. */
export async function connectLive(
  viewer: Viewer,
  type: ConnectorType,
  tokens: TokenSet,
  accountLabel: string | null,
  source: "oauth" | "token",
): Promise<IntegrationSummary> {
  const label = providerLabel(type);
  const stored: StoredCredentials = {
    accessToken: tokens.accessToken,
    ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
    ...(tokens.expiresAt ? { expiresAt: tokens.expiresAt } : {}),
    source,
  };
  const data = {
    mode: "live",
    status: "connected",
    statusMessage: null,
    accountLabel: accountLabel ?? label,
    credentials: encryptJson(stored),
    cursor: null,
  };
  const existing = await db().connection.findUnique({ where: { userId_type: { userId: viewer.userId, type } } });
  if (existing) {
    // Conditional on no run holding the connection: a run keeps the credentials it read.
    const { count } = await db().connection.updateMany({ where: { id: existing.id, activeRunId: null }, data });
    if (count === 0) throw runningError(label, "connect again");
    // The sandbox tokens it had are of no use any more.
    if (existing.mode === "sandbox") await revokeSandboxAccount(existing.id);
    await forgetResumePoints(existing.id);
  } else {
    await db().connection.create({ data: { ...data, userId: viewer.userId, workspaceId: viewer.workspaceId, type } });
  }
  return getIntegration(viewer, type);
}

/** Before a flow starts: the provider must be available and the connection free. */
export async function assertCanConnect(viewer: Viewer, type: ConnectorType): Promise<void> {
  const label = providerLabel(type);
  if (!isAvailable(type)) throw new ApiError(409, `${label} is not available in this version yet.`);
  const existing = await db().connection.findUnique({ where: { userId_type: { userId: viewer.userId, type } }, select: { activeRunId: true } });
  if (existing?.activeRunId) throw runningError(label, "connect again");
}

/** A token the user pasted: checked with one cheap call to the provider, stored only if it works. */
export async function connectWithToken(viewer: Viewer, type: ConnectorType, token: string): Promise<IntegrationSummary> {
  const p = oauthProvider(type);
  if (!p.acceptsPastedToken) {
    throw new ApiError(400, `${p.label} does not take a pasted token; use Connect ${p.label} (Google sign-in) instead.`);
  }
  const value = token.trim();
  // Printable ASCII only: a token goes into an Authorization header, which cannot carry anything
  // else (a pasted "ghp_…é" made the check's fetch throw, answered 502 "TypeError").
  if (value === "" || value.length > MAX_PASTED_TOKEN || /[^\x21-\x7e]/.test(value)) {
    throw new ApiError(400, `That does not look like a ${p.label} token: paste the token alone, without spaces, line breaks or characters other than letters, digits and punctuation.`);
  }
  await assertCanConnect(viewer, type);
  // Each check is a call to the provider: not a token-guessing service.
  const limit = await consume(`token-check:${viewer.userId}`, TOKEN_CHECKS_PER_MIN, 60_000);
  if (!limit.allowed) throw new ApiError(429, `Too many token checks; try again in ${limit.retryAfterS} s.`);
  const check = await checkToken(p, value);
  if (!check.ok) {
    if (check.reason === "refused") {
      throw new ApiError(
        400,
        `${p.label} refused this token (${check.detail}); nothing was stored. Check that it was copied whole, has not expired or been revoked, and can read your data.`,
      );
    }
    throw new ApiError(502, `Could not reach ${p.label} to check the token (${check.detail}); nothing was stored. Try again in a moment.`);
  }
  return connectLive(viewer, type, { accessToken: value }, check.label, "token");
}

export interface DisconnectResult {
  integration: IntegrationSummary;
  /** true: the provider confirmed; false: it did not (see message); null: there was nothing to revoke. */
  revoked: boolean | null;
  deleted_items: number;
  message: string;
}

/** Deletes the connection's documents and their full-text rows, in batches. */
async function deleteDocuments(connectionId: string): Promise<number> {
  let deleted = 0;
  for (;;) {
    const ids = (await db().document.findMany({ where: { connectionId }, select: { id: true }, take: 500 })).map((d) => d.id);
    if (ids.length === 0) return deleted;
    const marks = ids.map(() => "?").join(",");
    await db().$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`DELETE FROM "document_fts" WHERE "documentId" IN (${marks})`, ...ids);
      const { count } = await tx.document.deleteMany({ where: { id: { in: ids }, connectionId } });
      deleted += count;
    });
  }
}

export async function disconnect(viewer: Viewer, type: ConnectorType, opts: { deleteDocuments: boolean }): Promise<DisconnectResult> {
  const label = providerLabel(type);
  const conn = await db().connection.findUnique({ where: { userId_type: { userId: viewer.userId, type } } });
  if (!conn) throw new ApiError(409, `${label} is not connected.`);
  if (conn.activeRunId) throw runningError(label, "disconnect");
  let previous: StoredCredentials | null = null;
  try {
    previous = decryptJson<StoredCredentials | null>(conn.credentials);
  } catch {
    previous = null; // unreadable (a rotated-away key): nothing we could revoke with
  }
  const { count } = await db().connection.updateMany({
    where: { id: conn.id, activeRunId: null },
    data: { status: "disconnected", statusMessage: null, credentials: encryptJson(null), cursor: null },
  });
  if (count === 0) throw runningError(label, "disconnect");
  await forgetResumePoints(conn.id);

  let revoked: boolean | null = null;
  let revokeNote = "";
  if (conn.mode === "sandbox") {
    revoked = (await revokeSandboxAccount(conn.id)) > 0 ? true : null;
    if (revoked) revokeNote = " The sandbox token was revoked.";
  } else if (previous?.accessToken) {
    const result = await revokeAtProvider(oauthProvider(type), previous);
    revoked = result.revoked;
    revokeNote = result.revoked
      ? ` Access was revoked at ${label}.`
      : ` ${label} did not confirm revoking access (${result.detail ?? "no answer"}): remove 2nd Brain's access in your ${label} account settings${previous.source === "token" ? " (or delete the token you pasted)" : ""}.`;
  }
  const deleted = opts.deleteDocuments ? await deleteDocuments(conn.id) : 0;
  const deletedNote = opts.deleteDocuments ? ` ${deleted.toLocaleString("en-US")} synced ${deleted === 1 ? "item was" : "items were"} deleted.` : "";
  return {
    integration: await getIntegration(viewer, type),
    revoked,
    deleted_items: deleted,
    message: `${label} is disconnected and its stored credentials are deleted.${revokeNote}${deletedNote}`,
  };
}
