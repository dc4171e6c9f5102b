-- The technical side of a run's error and of an item's failure, kept apart from the words a
-- person reads; the run row's time-left estimate and whether the total is still being counted
-- (issue 15). Written by hand as plain ADD COLUMNs: prisma's diff rebuilds sync_run for the
-- NOT NULL column, which SQLite does not need.

-- AlterTable
ALTER TABLE "sync_item_failure" ADD COLUMN "detail" TEXT;

-- AlterTable
ALTER TABLE "sync_run" ADD COLUMN "errorDetail" TEXT;
ALTER TABLE "sync_run" ADD COLUMN "etaS" INTEGER;
ALTER TABLE "sync_run" ADD COLUMN "counting" BOOLEAN NOT NULL DEFAULT false;
