import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { getViewer } from "@/lib/auth";
import AppHeader from "@/components/AppHeader";
import LibraryView from "@/components/library/LibraryView";

export const dynamic = "force-dynamic";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

function first(v: string | string[] | undefined): string {
  return (Array.isArray(v) ? v[0] : v) ?? "";
}

export default async function LibraryPage({ searchParams }: { searchParams: SearchParams }) {
  const viewer = await getViewer(await headers());
  if (!viewer) redirect("/sign-in");
  const sp = await searchParams;
  return (
    <>
      <AppHeader />
      <main className="mx-auto max-w-6xl px-4 py-8">
        <h1 className="text-2xl font-semibold text-gray-900">Library</h1>
        <p className="mt-1 text-sm text-gray-600">Everything synced from your sources. Search titles and text, or filter by source and kind.</p>
        <div className="mt-6">
          <LibraryView initialQuery={first(sp.q)} initialProvider={first(sp.provider)} initialKind={first(sp.kind)} />
        </div>
      </main>
    </>
  );
}
