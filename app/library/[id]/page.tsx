import type { Metadata } from "next";
import Link from "next/link";
import { headers } from "next/headers";
import { notFound, redirect } from "next/navigation";
import { ArrowLeft, ExternalLink } from "lucide-react";
import { getViewer } from "@/lib/auth";
import { db } from "@/lib/db";
import AppHeader from "@/components/AppHeader";
import { connectorLabel, formatDateTime } from "@/components/integrations/labels";
import { plainText } from "@/components/library/plain-text";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Item · 2nd Brain" };

const KIND_LABEL: Record<string, string> = { email: "Email", message: "Message", file: "File", issue: "Issue", pull_request: "Pull request" };

/** Only http(s) links are opened (keeps javascript: and the like out). */
function safeUrl(url: string | null): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:" ? u.toString() : null;
  } catch {
    return null;
  }
}

/** One synced item, as the app stored it (the same read as GET /api/documents/{id}). */
export default async function DocumentPage({ params }: { params: Promise<{ id: string }> }) {
  const viewer = await getViewer(await headers());
  if (!viewer) redirect("/sign-in");
  const { id } = await params;
  if (!/^[a-z0-9]{20,40}$/.test(id)) notFound();
  const d = await db().document.findFirst({
    where: { id, userId: viewer.userId },
    select: { id: true, kind: true, title: true, text: true, url: true, author: true, updatedAt: true, connection: { select: { type: true, mode: true } } },
  });
  if (!d) notFound();
  const provider = connectorLabel(d.connection.type);
  // A sandbox item has no page at the provider: its URL would lead nowhere.
  const external = d.connection.mode === "live" ? safeUrl(d.url) : null;
  const text = plainText(d.text);
  return (
    <>
      <AppHeader />
      <main className="mx-auto max-w-3xl px-4 py-8">
        <Link href="/library" data-testid="document-back" className="inline-flex items-center gap-1 rounded text-sm font-medium text-blue-700 hover:underline focus-visible:outline-2 focus-visible:outline-blue-600">
          <ArrowLeft aria-hidden className="h-4 w-4" />
          Library
        </Link>
        <article data-testid="document" data-id={d.id} className="mt-4 rounded-2xl bg-white p-5 shadow-sm ring-1 ring-neutral-200 sm:p-6">
          <h1 data-testid="document-title" className="break-words text-xl font-semibold text-neutral-900">
            {d.title}
          </h1>
          <p className="mt-1.5 flex flex-wrap gap-x-3 gap-y-1 text-sm text-neutral-600">
            <span>{provider}</span>
            <span>{KIND_LABEL[d.kind] ?? d.kind}</span>
            {d.author ? <span>{d.author}</span> : null}
            <time dateTime={d.updatedAt.toISOString()} suppressHydrationWarning>
              Updated {formatDateTime(d.updatedAt)}
            </time>
          </p>
          {external ? (
            <a
              href={external}
              target="_blank"
              rel="noopener noreferrer"
              data-testid="document-external"
              className="mt-3 inline-flex items-center gap-1.5 rounded-lg bg-white px-3 py-2 text-sm font-medium text-neutral-700 ring-1 ring-neutral-300 hover:bg-neutral-50 focus-visible:outline-2 focus-visible:outline-blue-600"
            >
              Open in {provider}
              <ExternalLink aria-hidden className="h-3.5 w-3.5" />
            </a>
          ) : d.connection.mode === "sandbox" ? (
            <p data-testid="document-sandbox-note" className="mt-3 text-xs text-neutral-600">
              A sandbox item: it exists only in this app&apos;s {provider} sandbox, so there is no page for it at {provider}.
            </p>
          ) : null}
          <div data-testid="document-text" className="mt-5 whitespace-pre-wrap break-words border-t border-neutral-200 pt-4 text-sm leading-relaxed text-neutral-800">
            {text || <span className="text-neutral-600">This item has no text.</span>}
          </div>
        </article>
      </main>
    </>
  );
}
