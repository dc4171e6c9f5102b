"use client";

import { useId, useState, type FormEvent } from "react";
import Link from "next/link";
import { AlertCircle, Loader2 } from "lucide-react";
import { signIn, signUp as createAccount, type ApiFailure } from "@/components/api-client";
import { safeNextPath } from "@/lib/http/next-path";

export type AuthMode = "sign-in" | "sign-up";

export interface AuthFormProps {
  mode: AuthMode;
}

export const PASSWORD_MIN_LENGTH = 8;

/** Where to go after signing in: `?next=` when it is a path on this origin, else /integrations. */
function nextPath(): string {
  return safeNextPath(new URLSearchParams(window.location.search).get("next"), window.location.origin);
}

function failureWords(failure: ApiFailure): string {
  if (failure.error) return failure.error;
  if (failure.status === 401) return "Invalid email or password.";
  if (failure.status === 429) return "Too many attempts. Please wait a moment and try again.";
  return `Something went wrong (HTTP ${failure.status}). Please try again.`;
}

const inputCls =
  "block w-full rounded-lg border-0 bg-white px-3 py-2 text-sm text-neutral-900 shadow-sm ring-1 ring-neutral-300 placeholder:text-neutral-400 focus:ring-2 focus:ring-blue-600 focus:outline-none";

export function AuthForm({ mode }: AuthFormProps) {
  const signUp = mode === "sign-up";
  const ids = { name: useId(), email: useId(), password: useId(), error: useId() };
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  const validate = (): string | null => {
    if (signUp && !name.trim()) return "Please enter your name.";
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) return "Please enter a valid email address.";
    if (!password) return "Please enter your password.";
    if (signUp && password.length < PASSWORD_MIN_LENGTH) return `Password must be at least ${PASSWORD_MIN_LENGTH} characters.`;
    return null;
  };

  const onSubmit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (pending) return;
    const problem = validate();
    if (problem) {
      setError(problem);
      return;
    }
    setError(null);
    setPending(true);
    const r = signUp
      ? await createAccount({ name: name.trim(), email: email.trim(), password })
      : await signIn({ email: email.trim(), password });
    if (!r.ok) {
      setError(r.status === 0 ? "Could not reach the server. Check your connection and try again." : failureWords(r));
      setPending(false);
      return;
    }
    window.location.assign(nextPath());
    // keep `pending` while the browser navigates
  };

  const submitLabel = signUp ? "Sign up" : "Sign in";

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4" aria-describedby={error ? ids.error : undefined}>
      {signUp ? (
        <div className="space-y-1.5">
          <label htmlFor={ids.name} className="block text-sm font-medium text-neutral-700">
            Name
          </label>
          <input
            id={ids.name}
            name="name"
            type="text"
            autoComplete="name"
            required
            value={name}
            onChange={(e) => setName(e.target.value)}
            className={inputCls}
          />
        </div>
      ) : null}

      <div className="space-y-1.5">
        <label htmlFor={ids.email} className="block text-sm font-medium text-neutral-700">
          Email
        </label>
        <input
          id={ids.email}
          name="email"
          type="email"
          autoComplete="email"
          inputMode="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          className={inputCls}
        />
      </div>

      <div className="space-y-1.5">
        <label htmlFor={ids.password} className="block text-sm font-medium text-neutral-700">
          Password
        </label>
        <input
          id={ids.password}
          name="password"
          type="password"
          autoComplete={signUp ? "new-password" : "current-password"}
          required
          minLength={signUp ? PASSWORD_MIN_LENGTH : undefined}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          aria-describedby={signUp ? `${ids.password}-hint` : undefined}
          className={inputCls}
        />
        {signUp ? (
          <p id={`${ids.password}-hint`} className="text-xs text-neutral-500">
            At least {PASSWORD_MIN_LENGTH} characters.
          </p>
        ) : null}
      </div>

      {error ? (
        <div
          id={ids.error}
          role="alert"
          className="flex items-start gap-2 rounded-lg border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800"
        >
          <AlertCircle aria-hidden className="mt-0.5 h-4 w-4 shrink-0" />
          <span>{error}</span>
        </div>
      ) : null}

      <button
        type="submit"
        disabled={pending}
        aria-busy={pending}
        className="inline-flex w-full items-center justify-center gap-2 rounded-lg bg-blue-600 px-4 py-2.5 text-sm font-semibold text-white shadow-sm hover:bg-blue-700 disabled:cursor-not-allowed disabled:bg-blue-400 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-600"
      >
        {pending ? <Loader2 aria-hidden className="h-4 w-4 animate-spin" /> : null}
        {submitLabel}
      </button>

      <p className="text-center text-sm text-neutral-600">
        {signUp ? "Already have an account? " : "New to 2nd Brain? "}
        <Link href={signUp ? "/sign-in" : "/sign-up"} className="font-medium text-blue-700 hover:underline">
          {signUp ? "Sign in" : "Create an account"}
        </Link>
      </p>
    </form>
  );
}

export default AuthForm;
