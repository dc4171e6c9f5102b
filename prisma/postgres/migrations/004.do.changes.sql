-- PostgreSQL migration 004. The SQLite equivalent is prisma/migrations/20261207000000_changes.
-- What a run changed in the library (added / updated / removed documents), the requests it sent,
-- the last successful sync apart from the last attempt, and the sandboxes' change log (issue 18).
-- AlterTable
ALTER TABLE "connection" ADD COLUMN     "lastSuccessAt" TIMESTAMP(3);
-- Until now lastSyncAt was only ever set by a complete run, so it is that time.
UPDATE "connection" SET "lastSuccessAt" = "lastSyncAt";

-- AlterTable
ALTER TABLE "sync_run" ADD COLUMN     "addedItems" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "providerRequests" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "removedItems" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "updatedItems" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "sandbox_change" (
    "id" TEXT NOT NULL,
    "accountKey" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "itemIndex" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sandbox_change_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "sandbox_change_accountKey_provider_seq_key" ON "sandbox_change"("accountKey", "provider", "seq");

