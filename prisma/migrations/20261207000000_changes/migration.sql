-- What a run changed in the library (added / updated / removed documents) and the sandboxes'
-- change log (issue 18). Written by hand as plain ADD COLUMNs: prisma's diff rebuilds sync_run
-- for NOT NULL columns, which SQLite does not need.

-- AlterTable
ALTER TABLE "sync_run" ADD COLUMN "addedItems" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "sync_run" ADD COLUMN "updatedItems" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "sync_run" ADD COLUMN "removedItems" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "sync_run" ADD COLUMN "providerRequests" INTEGER NOT NULL DEFAULT 0;

-- AlterTable: the last successful sync apart from the last attempt. Until now lastSyncAt was only
-- ever set by a complete run, so it is that time.
ALTER TABLE "connection" ADD COLUMN "lastSuccessAt" DATETIME;
UPDATE "connection" SET "lastSuccessAt" = "lastSyncAt";

-- CreateTable
CREATE TABLE "sandbox_change" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "accountKey" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "itemIndex" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE UNIQUE INDEX "sandbox_change_accountKey_provider_seq_key" ON "sandbox_change"("accountKey", "provider", "seq");
