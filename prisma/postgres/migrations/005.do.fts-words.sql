-- PostgreSQL migration 005 (no SQLite equivalent: FTS5's unicode61 tokenizer already does this).
-- Search finds the words a person sees, as on SQLite: PostgreSQL's parser keeps URLs, hosts, file
-- paths, e-mail addresses and "v1.2" / "PR-38" / snake_case as single tokens, so "example" never
-- found "https://example.com/x", nor "bar" "foo/bar". The characters that glue such tokens become
-- spaces before the text is parsed (letters of every script are left alone), which is how
-- lib/search/text.ts already splits what the user types.
ALTER TABLE "document_fts" DROP COLUMN "tsv";
ALTER TABLE "document_fts" ADD COLUMN "tsv" tsvector GENERATED ALWAYS AS (
  to_tsvector('simple'::regconfig, regexp_replace("title" || ' ' || "text", '[/.@:_\\=?&#~+%-]+', ' ', 'g'))
) STORED;
CREATE INDEX "document_fts_tsv_idx" ON "document_fts" USING GIN ("tsv");
