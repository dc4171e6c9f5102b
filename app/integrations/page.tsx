import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { getViewer } from "@/lib/auth";
import { listIntegrations } from "@/lib/connections/service";
import AppHeader from "@/components/AppHeader";
import IntegrationsBoard from "@/components/integrations/IntegrationsBoard";

export const dynamic = "force-dynamic";

export default async function IntegrationsPage() {
  const viewer = await getViewer(await headers());
  if (!viewer) redirect("/sign-in");
  const integrations = await listIntegrations(viewer);
  return (
    <>
      <AppHeader />
      <main className="mx-auto max-w-6xl px-4 py-8">
        <h1 className="text-2xl font-semibold text-gray-900">Integrations</h1>
        <p className="mt-1 text-sm text-gray-600">
          Connect a source, then sync it. Syncs run on the server: you can close this tab and come back.
        </p>
        <div className="mt-6">
          <IntegrationsBoard initial={integrations} />
        </div>
      </main>
    </>
  );
}
