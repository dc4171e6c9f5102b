-- PostgreSQL migration 002. The SQLite equivalent is prisma/migrations/20261206000000_run_epoch.
-- The run's fencing token (lib/sync/fence.ts).

-- AlterTable
ALTER TABLE "sync_run" ADD COLUMN "epoch" INTEGER NOT NULL DEFAULT 0;
