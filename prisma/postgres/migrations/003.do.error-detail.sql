-- PostgreSQL migration 003. The SQLite equivalent is prisma/migrations/20261206200000_error_detail.
-- The technical side of a run's error and of an item's failure, kept apart from the words a
-- person reads; the run row's time-left estimate and whether the total is still being counted
-- (issue 15).

-- AlterTable
ALTER TABLE "sync_item_failure" ADD COLUMN "detail" TEXT;

-- AlterTable
ALTER TABLE "sync_run" ADD COLUMN "errorDetail" TEXT,
ADD COLUMN "etaS" INTEGER,
ADD COLUMN "counting" BOOLEAN NOT NULL DEFAULT false;
