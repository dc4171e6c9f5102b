// Connections: one per user and provider. Sandbox connections carry a token that the
// built-in sandbox recognises; credentials are only ever stored encrypted.
import { db } from "@/lib/db";
import type { Viewer } from "@/lib/auth";
import { ApiError } from "@/lib/api/errors";
import { encryptJson } from "@/lib/crypto";
import { expireSandboxAccessTokens, issueSandboxCredentials, sandboxAccountFor, type SandboxAccount } from "@/lib/sandbox/accounts";
import { clearSandboxChanges } from "@/lib/sandbox/changes-store";
import { isAvailable, providerLabel } from "@/lib/connectors/registry";
import { isLiveConfigured, notConfiguredHint } from "@/lib/oauth/providers";
import { logger } from "@/lib/platform/logger";
import type { Connection } from "@/lib/generated/prisma/client";
import type { IntegrationSummary } from "@/lib/contract/api";
import { CONNECTOR_TYPES, DEFAULT_SANDBOX_SCENARIO, type ConnectorType, type SandboxScenario } from "@/lib/contract";
import { sandboxScenarioSchema } from "@/lib/sandbox/scenario";
import { sandboxEnabled } from "@/lib/env";

function summarize(type: ConnectorType, conn: Connection | undefined, itemCount: number): IntegrationSummary {
  const connected = !!conn && conn.status !== "disconnected";
  return {
    type,
    label: providerLabel(type),
    connected,
    mode: conn && connected ? (conn.mode as "sandbox" | "live") : null,
    status: conn ? (conn.status as IntegrationSummary["status"]) : null,
    status_message: conn?.statusMessage ?? null,
    account_label: connected ? (conn?.accountLabel ?? null) : null,
    item_count: itemCount,
    last_sync_at: conn?.lastSyncAt?.toISOString() ?? null,
    last_success_at: conn?.lastSuccessAt?.toISOString() ?? null,
    last_sync_status: (conn?.lastSyncStatus as IntegrationSummary["last_sync_status"]) ?? null,
    active_sync_id: conn?.activeRunId ?? null,
    // Only whether live connect works: what an operator must set to enable it is said in the
    // start-up log (logOperatorHints) and the README, not on every user's card.
    live_available: isLiveConfigured(type),
    sync_available: isAvailable(type),
    sandbox_available: sandboxEnabled(),
  };
}

export async function listIntegrations(viewer: Viewer): Promise<IntegrationSummary[]> {
  const [conns, counts] = await Promise.all([
    db().connection.findMany({ where: { userId: viewer.userId } }),
    db().document.groupBy({ by: ["connectionId"], where: { userId: viewer.userId }, _count: { _all: true } }),
  ]);
  const countBy = new Map(counts.map((c) => [c.connectionId, c._count._all]));
  return CONNECTOR_TYPES.map((type) => {
    const conn = conns.find((c) => c.type === type);
    return summarize(type, conn, conn ? (countBy.get(conn.id) ?? 0) : 0);
  });
}

export async function getIntegration(viewer: Viewer, type: ConnectorType): Promise<IntegrationSummary> {
  const all = await listIntegrations(viewer);
  return all.find((i) => i.type === type)!;
}

/** Connects the provider's built-in sandbox (idempotent: an existing sandbox connection is kept). */
export async function connectSandbox(viewer: Viewer, type: ConnectorType): Promise<IntegrationSummary> {
  if (!isAvailable(type)) throw new ApiError(409, `${providerLabel(type)} is not available in this version yet.`);
  const existing = await db().connection.findUnique({ where: { userId_type: { userId: viewer.userId, type } } });
  if (existing && existing.mode === "sandbox" && existing.status === "connected") return getIntegration(viewer, type);
  if (existing?.activeRunId) throw new ApiError(409, `A ${providerLabel(type)} sync is running; wait for it or cancel it first.`);
  const data = {
    mode: "sandbox",
    status: "connected",
    statusMessage: null,
    accountLabel: "sandbox-user",
    // Replaced below, once the connection exists to issue tokens for.
    credentials: encryptJson(null),
    sandboxScenario: existing?.sandboxScenario ?? JSON.stringify(DEFAULT_SANDBOX_SCENARIO),
    cursor: null,
  };
  const conn = await db().connection.upsert({
    where: { userId_type: { userId: viewer.userId, type } },
    create: { ...data, userId: viewer.userId, workspaceId: viewer.workspaceId, type },
    update: data,
  });
  const tokens = await issueSandboxCredentials(conn.id, type);
  await db().connection.update({
    where: { id: conn.id },
    data: { credentials: encryptJson({ accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }) },
  });
  return getIntegration(viewer, type);
}

export async function setSandboxScenario(viewer: Viewer, type: ConnectorType, scenario: SandboxScenario): Promise<SandboxScenario> {
  const conn = await db().connection.findUnique({ where: { userId_type: { userId: viewer.userId, type } } });
  if (!conn || conn.mode !== "sandbox") {
    throw new ApiError(409, `${providerLabel(type)} is not connected in sandbox mode; connect the sandbox first.`);
  }
  const parsed = sandboxScenarioSchema.parse(scenario);
  const before = conn.sandboxScenario ? sandboxScenarioSchema.safeParse(JSON.parse(conn.sandboxScenario)) : undefined;
  await db().connection.update({ where: { id: conn.id }, data: { sandboxScenario: JSON.stringify(parsed) } });
  // Another size is another dataset: the changes made to the old one (…/sandbox/changes) go.
  if (!before?.success || before.data.items !== parsed.items) await clearSandboxChanges(conn.id, type);
  if (parsed.fault === "expired_token") await expireSandboxAccessTokens(conn.id);
  return parsed;
}

/** The caller's sandbox account of `type` (409 when that provider is not connected in sandbox mode). */
export async function sandboxAccountOf(viewer: Viewer, type: ConnectorType): Promise<SandboxAccount> {
  const conn = await db().connection.findUnique({ where: { userId_type: { userId: viewer.userId, type } } });
  const account = conn && conn.mode === "sandbox" && conn.status !== "disconnected" ? await sandboxAccountFor(conn.id, type) : null;
  if (!account) throw new ApiError(409, `${providerLabel(type)} is not connected in sandbox mode; connect the sandbox first.`);
  return account;
}

/**
 * For operators, once at start-up: which providers cannot be connected live yet and what to set
 * ("Set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET"). Users only see live_available: false.
 */
export function logOperatorHints(): void {
  const missing = CONNECTOR_TYPES.filter((type) => isAvailable(type) && !isLiveConfigured(type));
  for (const type of missing) {
    logger.info(`[oauth] live connect of ${providerLabel(type)} is off: ${notConfiguredHint(type)} (README, "Connecting real accounts"); the sandbox works without it`);
  }
}
