-- AlterTable
ALTER TABLE "sync_run" ADD COLUMN "notes" TEXT;

-- AlterTable
ALTER TABLE "document" ADD COLUMN "indexedAt" DATETIME;

-- CreateTable
CREATE TABLE "sandbox_token" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "connectionId" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "expiresAt" DATETIME,
    "revokedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "notification" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "toEmail" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "html" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lockedUntil" DATETIME,
    "lastError" TEXT,
    "messageId" TEXT,
    "sentAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "notification_setting" (
    "userId" TEXT NOT NULL PRIMARY KEY,
    "notifyOn" TEXT NOT NULL DEFAULT 'all',
    "updatedAt" DATETIME NOT NULL
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_connection" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'connected',
    "statusMessage" TEXT,
    "accountLabel" TEXT,
    "credentials" TEXT NOT NULL,
    "sandboxScenario" TEXT,
    "cursor" TEXT,
    "activeRunId" TEXT,
    "lastSyncAt" DATETIME,
    "lastSyncStatus" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "connection_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "workspace" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_connection" ("accountLabel", "activeRunId", "createdAt", "credentials", "cursor", "id", "lastSyncAt", "lastSyncStatus", "mode", "sandboxScenario", "status", "statusMessage", "type", "updatedAt", "userId", "workspaceId") SELECT "accountLabel", "activeRunId", "createdAt", "credentials", "cursor", "id", "lastSyncAt", "lastSyncStatus", "mode", "sandboxScenario", "status", "statusMessage", "type", "updatedAt", "userId", "workspaceId" FROM "connection";
DROP TABLE "connection";
ALTER TABLE "new_connection" RENAME TO "connection";
CREATE INDEX "connection_workspaceId_idx" ON "connection"("workspaceId");
CREATE UNIQUE INDEX "connection_userId_type_key" ON "connection"("userId", "type");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "sandbox_token_tokenHash_key" ON "sandbox_token"("tokenHash");

-- CreateIndex
CREATE INDEX "sandbox_token_connectionId_idx" ON "sandbox_token"("connectionId");

-- CreateIndex
CREATE INDEX "notification_status_nextAttemptAt_idx" ON "notification"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "notification_userId_createdAt_idx" ON "notification"("userId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "notification_runId_kind_key" ON "notification"("runId", "kind");

-- CreateIndex
CREATE INDEX "document_connectionId_indexedAt_idx" ON "document"("connectionId", "indexedAt");


-- Full-text index of documents (the "embedding" stage of a sync indexes into it).
-- Not expressible in the Prisma schema; lib/search keeps it in step with "document".
CREATE VIRTUAL TABLE "document_fts" USING fts5(
    "documentId" UNINDEXED,
    "title",
    "text",
    tokenize = 'unicode61 remove_diacritics 2'
);
