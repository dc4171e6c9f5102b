#!/usr/bin/env node
// `npm run db:check`: fails when the two databases' schemas drift.
//  1. prisma/postgres/schema.prisma is exactly prisma/schema.prisma with the provider swapped
//     (scripts/pg-schema.mjs --check).
//  2. SQLite: prisma/migrations applied to an empty database == the schema's datamodel.
//  3. PostgreSQL: prisma/postgres/migrations applied to an empty database == the schema's
//     datamodel (skipped with a message when PostgreSQL is not reachable, unless
//     DB_CHECK_REQUIRE_POSTGRES=1).
// "==" compares catalog snapshots (columns with types, nullability and defaults; indexes;
// constraints) of a database built by the migrations and one built from
// `prisma migrate diff --from-empty --to-schema-datamodel … --script`. (`migrate diff
// --from-url` and `db pull` do not work with the js schema engine, so the catalogs are read
// directly.) The full-text table "document_fts" is hand-written in both migration sets and
// only checked for presence.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { migratePostgres } from "./pg-migrate.mjs";

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
process.chdir(root);
const IGNORED = new Set(["document_fts", "schemaversion", "_prisma_migrations"]);
let failed = false;
const log = (m) => console.log(`[db:check] ${m}`);
const fail = (m) => {
  console.error(`[db:check] FAIL: ${m}`);
  failed = true;
};

function prisma(args, databaseUrl) {
  const r = spawnSync(process.execPath, ["scripts/prisma.mjs", ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`prisma ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function compare(label, fromMigrations, fromSchema) {
  const a = new Set(fromMigrations);
  const b = new Set(fromSchema);
  const onlyMigrations = [...a].filter((x) => !b.has(x));
  const onlySchema = [...b].filter((x) => !a.has(x));
  if (onlyMigrations.length === 0 && onlySchema.length === 0) {
    log(`${label}: migrations match the schema (${a.size} catalog entries)`);
    return;
  }
  fail(
    `${label}: migrations and schema differ\n` +
      onlySchema.map((x) => `  schema only:     ${x}`).join("\n") +
      (onlySchema.length && onlyMigrations.length ? "\n" : "") +
      onlyMigrations.map((x) => `  migrations only: ${x}`).join("\n") +
      `\n  (add a migration: see README, "Database")`,
  );
}

// ---------- 1. generated PostgreSQL schema ----------
{
  const r = spawnSync(process.execPath, ["scripts/pg-schema.mjs", "--check"], { stdio: "inherit" });
  if (r.status !== 0) failed = true;
}

// ---------- 2. SQLite ----------
function sqliteSnapshot(file) {
  const Database = require("better-sqlite3");
  const db = new Database(file, { readonly: true });
  const out = [];
  const tables = db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
    .all()
    .map((r) => r.name)
    .filter((n) => !IGNORED.has(n) && !n.startsWith("document_fts_"));
  for (const t of tables) {
    for (const c of db.prepare(`PRAGMA table_info("${t}")`).all())
      out.push(`column ${t}.${c.name} ${c.type} notnull=${c.notnull} default=${c.dflt_value} pk=${c.pk}`);
    for (const i of db.prepare(`PRAGMA index_list("${t}")`).all()) {
      const cols = db.prepare(`PRAGMA index_info("${i.name}")`).all().map((c) => c.name).join(",");
      out.push(`index ${t}.${i.name} unique=${i.unique} origin=${i.origin} (${cols})`);
    }
    for (const f of db.prepare(`PRAGMA foreign_key_list("${t}")`).all())
      out.push(`fk ${t}.${f.from} -> ${f.table}.${f.to} on_update=${f.on_update} on_delete=${f.on_delete}`);
  }
  const fts = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'document_fts'`).get();
  db.close();
  return { out, fts: Boolean(fts) };
}
{
  const dir = mkdtempSync(path.join(tmpdir(), "sb-dbcheck-"));
  try {
    const migrated = `file:${path.join(dir, "migrated.db")}`;
    prisma(["migrate", "deploy"], migrated);
    const sql = prisma(["migrate", "diff", "--from-empty", "--to-schema-datamodel", "prisma/schema.prisma", "--script"], migrated);
    const Database = require("better-sqlite3");
    const fresh = new Database(path.join(dir, "schema.db"));
    fresh.exec(sql);
    fresh.close();
    const a = sqliteSnapshot(path.join(dir, "migrated.db"));
    const b = sqliteSnapshot(path.join(dir, "schema.db"));
    if (!a.fts) fail(`SQLite: the migrations do not create "document_fts"`);
    compare("SQLite", a.out, b.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------- 3. PostgreSQL ----------
async function pgSnapshot(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const out = [];
    const cols = await c.query(
      `SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default, character_maximum_length, datetime_precision
         FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, column_name`,
    );
    for (const r of cols.rows) {
      if (IGNORED.has(r.table_name)) continue;
      out.push(
        `column ${r.table_name}.${r.column_name} ${r.udt_name}(${r.character_maximum_length ?? ""},${r.datetime_precision ?? ""}) nullable=${r.is_nullable} default=${r.column_default}`,
      );
    }
    const idx = await c.query(`SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexdef`);
    for (const r of idx.rows) if (!IGNORED.has(r.tablename)) out.push(`index ${r.indexdef}`);
    const cons = await c.query(
      `SELECT conrelid::regclass::text AS t, conname, pg_get_constraintdef(oid) AS def
         FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY conname`,
    );
    for (const r of cons.rows) if (!IGNORED.has(r.t.replace(/"/g, ""))) out.push(`constraint ${r.t}.${r.conname} ${r.def}`);
    const fts = await c.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'document_fts'`);
    return { out, fts: fts.rowCount === 1 };
  } finally {
    await c.end();
  }
}

function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

const adminUrl = process.env.DATABASE_URL_TEST ?? "postgres://postgres@127.0.0.1:5432/test";
const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
let reachable = true;
try {
  await admin.connect();
} catch (err) {
  reachable = false;
  const msg = `PostgreSQL not reachable at ${adminUrl.replace(/\/\/[^@]*@/, "//…@")} (${err.message})`;
  if (process.env.DB_CHECK_REQUIRE_POSTGRES === "1") fail(msg);
  else log(`${msg}: PostgreSQL part skipped`);
}
if (reachable) {
  const suffix = randomBytes(4).toString("hex");
  const names = [`sb_check_mig_${suffix}`, `sb_check_schema_${suffix}`];
  try {
    for (const n of names) await admin.query(`CREATE DATABASE "${n}"`);
    const [migUrl, schemaUrl] = names.map((n) => withDatabase(adminUrl, n));
    await migratePostgres(migUrl);
    const sql = prisma(["migrate", "diff", "--from-empty", "--to-schema-datamodel", "prisma/postgres/schema.prisma", "--script"], schemaUrl);
    const c = new pg.Client({ connectionString: schemaUrl });
    await c.connect();
    await c.query(sql);
    await c.end();
    const a = await pgSnapshot(migUrl);
    const b = await pgSnapshot(schemaUrl);
    if (!a.fts) fail(`PostgreSQL: the migrations do not create "document_fts"`);
    compare("PostgreSQL", a.out, b.out);
  } catch (err) {
    fail(`PostgreSQL: ${err.message}`);
  } finally {
    for (const n of names) await admin.query(`DROP DATABASE IF EXISTS "${n}" WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
}

if (failed) process.exit(1);
log("OK");
