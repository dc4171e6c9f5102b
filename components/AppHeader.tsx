"use client";

import { useState } from "react";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { Brain, LogOut } from "lucide-react";
import { signOut as signOutRequest } from "@/components/api-client";

const NAV = [
  { href: "/integrations", label: "Integrations" },
  { href: "/library", label: "Library" },
  { href: "/notifications", label: "Notifications" },
] as const;

/** Pages where nobody is signed in: no header there, even if rendered by mistake. */
const AUTH_PAGES = ["/sign-in", "/sign-up"];

export interface AppHeaderProps {
  /** The signed-in user's email, shown beside Sign out. */
  email?: string | null;
}

/** Rendered by signed-in pages (not by the root layout). */
export function AppHeader({ email }: AppHeaderProps = {}) {
  const pathname = usePathname() ?? "";
  const [signingOut, setSigningOut] = useState(false);

  if (AUTH_PAGES.some((p) => pathname === p || pathname.startsWith(`${p}/`))) return null;

  const signOut = async () => {
    setSigningOut(true);
    await signOutRequest(); // whatever the answer: go to sign-in
    window.location.assign("/sign-in");
  };

  // Phones: logo and Sign out on the first line, the three links on their own line below, so the
  // page is never wider than the screen (it was 480 px at 390 px with everything on one line).
  return (
    <header className="border-b border-neutral-200 bg-white">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-1 px-4 py-2 sm:h-14 sm:flex-nowrap sm:px-6 sm:py-0">
        <Link href="/integrations" className="flex items-center gap-2 font-semibold text-neutral-900">
          <Brain aria-hidden className="h-5 w-5 text-blue-600" />
          2nd Brain
        </Link>
        <nav aria-label="Main" className="order-last -mx-2 flex w-full min-w-0 items-center gap-1 overflow-x-auto sm:order-none sm:mx-0 sm:w-auto">
          {NAV.map((item) => {
            const current = pathname === item.href || pathname.startsWith(`${item.href}/`);
            return (
              <Link
                key={item.href}
                href={item.href}
                aria-current={current ? "page" : undefined}
                className={`shrink-0 rounded-md px-2.5 py-1.5 text-sm font-medium sm:px-3 ${
                  current ? "bg-blue-50 text-blue-700" : "text-neutral-600 hover:bg-neutral-100 hover:text-neutral-900"
                }`}
              >
                {item.label}
              </Link>
            );
          })}
        </nav>
        {email ? (
          <span data-testid="header-email" className="ml-auto hidden min-w-0 truncate text-sm text-neutral-600 md:inline" title={email}>
            {email}
          </span>
        ) : null}
        <button
          type="button"
          onClick={signOut}
          disabled={signingOut}
          className={`${email ? "md:ml-0" : ""} ml-auto inline-flex shrink-0 items-center gap-1.5 rounded-md px-3 py-1.5 text-sm font-medium text-neutral-600 hover:bg-neutral-100 hover:text-neutral-900 disabled:opacity-60 focus-visible:outline-2 focus-visible:outline-blue-600`}
        >
          <LogOut aria-hidden className="h-4 w-4" />
          {signingOut ? "Signing out…" : "Sign out"}
        </button>
      </div>
    </header>
  );
}

export default AppHeader;
