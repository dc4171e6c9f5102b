import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { getViewer } from "@/lib/auth";
import { env } from "@/lib/env";
import { getNotifyOn, listNotifications } from "@/lib/notify/service";
import AppHeader from "@/components/AppHeader";
import NotificationsView from "@/components/notifications/NotificationsView";
import NotifyPreference from "@/components/notifications/NotifyPreference";

export const dynamic = "force-dynamic";

export default async function NotificationsPage() {
  const viewer = await getViewer(await headers());
  if (!viewer) redirect("/sign-in");
  const [notifications, notifyOn] = await Promise.all([listNotifications(viewer), getNotifyOn(viewer)]);
  const smtp = Boolean(env().SMTP_HOST);
  return (
    <>
      <AppHeader />
      <main className="mx-auto max-w-6xl px-4 py-8">
        <h1 className="text-2xl font-semibold text-gray-900">Notifications</h1>
        <p className="mt-1 text-sm text-gray-600">
          The emails your syncs sent you{smtp ? "" : " — or would have sent"}, newest first, exactly as written.
        </p>
        {smtp ? null : (
          <p data-testid="outbox-banner" className="mt-4 rounded-xl bg-blue-50 px-4 py-3 text-sm text-blue-900 ring-1 ring-blue-100">
            Email sending is not set up on this server, so your emails are kept in this outbox instead of being delivered.
          </p>
        )}
        {viewer.emailVerified !== false ? null : (
          <p data-testid="verify-email-banner" className="mt-4 rounded-xl bg-amber-50 px-4 py-3 text-sm text-amber-900 ring-1 ring-amber-100">
            Verify your email to get sync emails: open the link in the email sent to <strong>{viewer.email}</strong>
            {smtp ? "" : " (it is in this outbox, below)"}. Until then no sync email is sent to this address.
          </p>
        )}
        <div className="mt-6">
          <NotifyPreference initial={notifyOn} />
        </div>
        <div className="mt-6">
          <NotificationsView initial={notifications} />
        </div>
      </main>
    </>
  );
}
