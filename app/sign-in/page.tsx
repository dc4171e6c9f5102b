import type { Metadata } from "next";
import { Brain } from "lucide-react";
import AuthForm from "@/components/auth/AuthForm";

export const metadata: Metadata = { title: "Sign in · 2nd Brain" };

export default function SignInPage() {
  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-12">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex flex-col items-center text-center">
          <span className="mb-3 flex h-11 w-11 items-center justify-center rounded-xl bg-blue-600 text-white">
            <Brain aria-hidden className="h-6 w-6" />
          </span>
          <h1 className="text-xl font-semibold text-neutral-900">Sign in</h1>
          <p className="mt-1 text-sm text-neutral-500">Welcome back. Sign in to see your synced sources.</p>
        </div>
        <div className="rounded-2xl bg-white p-6 shadow-sm ring-1 ring-neutral-200">
          <AuthForm mode="sign-in" />
        </div>
      </div>
    </main>
  );
}
