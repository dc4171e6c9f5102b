"use client";

import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import Link from "next/link";
import { Loader2, Search } from "lucide-react";
import { providerIcon } from "@/components/integrations/provider-look";
import { connectorLabel, formatDateTime } from "@/components/integrations/labels";
import { stripMarkdown } from "./plain-text";

// The API answer's shapes, from the module that produces them (types: nothing server-side is bundled).
import type { HighlightedText, SearchHit as LibraryDocument } from "@/lib/contract/api";
import { pollIntegrations, searchDocuments } from "@/components/api-client";

export type { HighlightedText, LibraryDocument };

const PROVIDERS = ["gmail", "slack", "box", "github"] as const;
const KINDS: { value: string; label: string }[] = [
  { value: "email", label: "Email" },
  { value: "message", label: "Message" },
  { value: "file", label: "File" },
  { value: "issue", label: "Issue" },
  { value: "pull_request", label: "Pull request" },
];
const DEBOUNCE_MS = 300;
/** While a sync runs, look for its end this often; otherwise, for a new one, less often. */
const ACTIVE_POLL_MS = 5000;
const IDLE_POLL_MS = 15000;

/** Plain text with the given ranges wrapped in <mark> (React elements: never HTML). */
export function Highlighted({ value }: { value: HighlightedText }): ReactNode {
  const out: ReactNode[] = [];
  let at = 0;
  const ranges = [...value.highlights].sort((a, b) => a[0] - b[0]);
  for (const [s, e] of ranges) {
    if (s < at || e <= s || s > value.text.length) continue;
    if (s > at) out.push(value.text.slice(at, s));
    out.push(
      <mark key={s} className="rounded bg-yellow-100 px-0.5 text-inherit">
        {value.text.slice(s, e)}
      </mark>,
    );
    at = e;
  }
  if (at < value.text.length) out.push(value.text.slice(at));
  return <>{out}</>;
}

/** The page of this app that shows one item (sandbox items have no real page at the provider). */
export function documentHref(id: string): string {
  return `/library/${encodeURIComponent(id)}`;
}

interface Props {
  initialQuery: string;
  initialProvider: string;
  initialKind: string;
}

export function LibraryView({ initialQuery, initialProvider, initialKind }: Props) {
  const [input, setInput] = useState(initialQuery);
  const [q, setQ] = useState(initialQuery);
  const [provider, setProvider] = useState(initialProvider);
  const [kind, setKind] = useState(initialKind);
  const [docs, setDocs] = useState<LibraryDocument[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const requestRef = useRef(0);

  // Debounce typing into the query.
  useEffect(() => {
    const t = setTimeout(() => setQ(input.trim()), DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [input]);

  // Keep the URL in step (shareable, survives reload).
  useEffect(() => {
    const url = new URL(window.location.href);
    for (const [k, v] of [["q", q], ["provider", provider], ["kind", kind]] as const) {
      if (v) url.searchParams.set(k, v);
      else url.searchParams.delete(k);
    }
    window.history.replaceState(window.history.state, "", `${url.pathname}${url.search}${url.hash}`);
  }, [q, provider, kind]);

  const fetchPage = useCallback(
    async (after: string | null) => {
      const r = await searchDocuments({ q, provider, kind, cursor: after, limit: 20 });
      if (r.status === 401) {
        window.location.assign("/sign-in");
        return null;
      }
      if (r.status === 0) throw new Error("Could not reach the server. Check your connection and try again.");
      if (!r.ok || !Array.isArray(r.body.documents)) {
        throw new Error((!r.ok && r.error) || "Search failed. Try again in a moment.");
      }
      return { documents: r.body.documents, next: r.body.next_cursor ?? null };
    },
    [q, provider, kind],
  );

  // First page whenever the query, filters or data (version) change.
  useEffect(() => {
    const id = ++requestRef.current;
    setLoading(true);
    fetchPage(null)
      .then((r) => {
        if (id !== requestRef.current || !r) return;
        setDocs(r.documents);
        setCursor(r.next);
        setError(null);
      })
      .catch((e: unknown) => {
        if (id === requestRef.current) setError(e instanceof Error ? e.message : "Search failed.");
      })
      .finally(() => {
        if (id === requestRef.current) setLoading(false);
      });
  }, [fetchPage, version]);

  const loadMore = async () => {
    if (!cursor) return;
    const id = requestRef.current;
    setLoadingMore(true);
    try {
      const r = await fetchPage(cursor);
      if (id !== requestRef.current || !r) return;
      setDocs((list) => [...list, ...r.documents.filter((d) => !list.some((x) => x.id === d.id))]);
      setCursor(r.next);
    } catch (e) {
      setError(e instanceof Error ? e.message : "Search failed.");
    } finally {
      setLoadingMore(false);
    }
  };

  // Auto-refresh: when a sync that was running has finished (or a short one started and ended
  // between two looks: last sync time or item count moved), fetch the results again.
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let active = new Set<string>();
    let signature: string | null = null;
    const tick = async () => {
      try {
        const r = await pollIntegrations();
        if (r.ok) {
          const list = r.body.integrations ?? [];
          const next = new Set(list.map((i) => i.active_sync_id).filter((x): x is string => !!x));
          const sig = list.map((i) => `${i.type}:${i.last_sync_at ?? ""}:${i.item_count}`).join("|");
          const finished = [...active].some((id) => !next.has(id));
          if ((finished || (signature !== null && sig !== signature)) && !stopped) setVersion((v) => v + 1);
          active = next;
          signature = sig;
        }
      } catch {
        // offline: try again later
      }
      if (!stopped) timer = setTimeout(tick, active.size > 0 ? ACTIVE_POLL_MS : IDLE_POLL_MS);
    };
    void tick();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, []);

  const selectCls =
    "rounded-lg border border-neutral-300 bg-white px-2.5 py-2 text-sm text-neutral-800 focus-visible:outline-2 focus-visible:outline-blue-600";

  return (
    <div>
      <div className="flex flex-wrap items-center gap-3">
        <label className="relative w-full min-w-0 sm:w-auto sm:min-w-64 sm:flex-1">
          <span className="sr-only">Search the library</span>
          <Search aria-hidden className="pointer-events-none absolute left-3 top-1/2 h-4 w-4 -translate-y-1/2 text-neutral-400" />
          <input
            type="search"
            data-testid="library-search"
            value={input}
            onChange={(e) => setInput(e.target.value)}
            placeholder="Search titles and text…"
            maxLength={500}
            className="w-full rounded-lg border border-neutral-300 bg-white py-2 pl-9 pr-3 text-sm focus-visible:outline-2 focus-visible:outline-blue-600"
          />
        </label>
        <label className="flex items-center gap-2 text-sm text-neutral-600">
          Source
          <select data-testid="library-filter-provider" value={provider} onChange={(e) => setProvider(e.target.value)} className={selectCls}>
            <option value="">All sources</option>
            {PROVIDERS.map((p) => (
              <option key={p} value={p}>
                {connectorLabel(p)}
              </option>
            ))}
          </select>
        </label>
        <label className="flex items-center gap-2 text-sm text-neutral-600">
          Kind
          <select data-testid="library-filter-kind" value={kind} onChange={(e) => setKind(e.target.value)} className={selectCls}>
            <option value="">All kinds</option>
            {KINDS.map((k) => (
              <option key={k.value} value={k.value}>
                {k.label}
              </option>
            ))}
          </select>
        </label>
      </div>

      <p className="mt-3 text-xs text-neutral-600" aria-live="polite">
        {loading ? "Searching…" : q ? "Most relevant first" : "Newest first"}
      </p>

      {error ? (
        <p role="alert" data-testid="library-error" className="mt-4 rounded-lg border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          {error}
        </p>
      ) : null}

      {!loading && !error && docs.length === 0 ? (
        <p data-testid="library-empty" className="mt-8 rounded-xl border border-dashed border-neutral-300 p-8 text-center text-sm text-neutral-600">
          {q || provider || kind ? "Nothing matches. Try other words or filters." : "Nothing synced yet. Connect a source on Integrations and sync it."}
        </p>
      ) : null}

      <ul className="mt-4 space-y-3" aria-busy={loading}>
        {docs.map((d) => {
          const Icon = providerIcon(d.provider);
          return (
            <li key={d.id} data-testid="library-result" data-id={d.id} className="rounded-xl bg-white p-4 shadow-sm ring-1 ring-neutral-200">
              <div className="flex items-start gap-3">
                <span className="mt-0.5 flex h-8 w-8 shrink-0 items-center justify-center rounded-lg bg-neutral-100 text-neutral-700" title={connectorLabel(d.provider)}>
                  <Icon aria-hidden className="h-4 w-4" />
                  <span className="sr-only">{connectorLabel(d.provider)}</span>
                </span>
                <div className="min-w-0 flex-1">
                  <h2 className="text-sm font-semibold text-neutral-900">
                    <Link
                      href={documentHref(d.id)}
                      data-testid="library-result-link"
                      className="rounded break-words hover:underline focus-visible:outline-2 focus-visible:outline-blue-600"
                    >
                      <span data-testid="library-result-title">
                        <Highlighted value={stripMarkdown(d.title)} />
                      </span>
                    </Link>
                  </h2>
                  {d.snippet.text ? (
                    <p data-testid="library-result-snippet" className="mt-1 line-clamp-3 text-sm break-words text-neutral-600">
                      <Highlighted value={stripMarkdown(d.snippet)} />
                    </p>
                  ) : null}
                  <p className="mt-1.5 flex flex-wrap gap-x-3 text-xs text-neutral-600">
                    <span>{connectorLabel(d.provider)}</span>
                    <span>{KINDS.find((k) => k.value === d.kind)?.label ?? d.kind}</span>
                    {d.author ? <span data-testid="library-result-author">{d.author}</span> : null}
                    <time dateTime={d.updated_at} suppressHydrationWarning>
                      {formatDateTime(d.updated_at)}
                    </time>
                  </p>
                </div>
              </div>
            </li>
          );
        })}
      </ul>

      {cursor && !loading ? (
        <div className="mt-4 flex justify-center">
          <button
            type="button"
            data-testid="library-more"
            onClick={() => void loadMore()}
            disabled={loadingMore}
            className="inline-flex items-center gap-1.5 rounded-lg bg-white px-3.5 py-2 text-sm font-medium text-neutral-700 ring-1 ring-neutral-300 hover:bg-neutral-50 disabled:text-neutral-400"
          >
            {loadingMore ? <Loader2 aria-hidden className="h-4 w-4 animate-spin" /> : null}
            {loadingMore ? "Loading…" : "Load more"}
          </button>
        </div>
      ) : null}
    </div>
  );
}

export default LibraryView;
