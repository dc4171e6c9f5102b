"use client";

import { useState } from "react";
import { NOTIFY_ON_OPTIONS, isNotifyChoice, type NotifyChoice } from "./status";
import { saveNotifyPreference } from "@/components/api-client";

export interface NotifyPreferenceProps {
  /** The saved setting (a value this page does not know falls back to the default). */
  initial: string;
}

/** "Email me about: changes and failures / every sync / failures only / never" — saved on change. */
export function NotifyPreference({ initial }: NotifyPreferenceProps) {
  const [value, setValue] = useState<NotifyChoice>(isNotifyChoice(initial) ? initial : "changes");
  const [state, setState] = useState<{ kind: "idle" | "saving" | "saved" } | { kind: "error"; message: string }>({ kind: "idle" });

  const choose = async (next: NotifyChoice) => {
    const previous = value;
    setValue(next);
    setState({ kind: "saving" });
    const r = await saveNotifyPreference(next);
    if (r.status === 401) return window.location.assign("/sign-in");
    if (r.ok) return setState({ kind: "saved" });
    setValue(previous);
    setState({ kind: "error", message: r.status === 0 ? "Saving failed." : (r.error ?? "Saving failed. Try again in a moment.") });
  };

  return (
    <fieldset data-testid="notify-preference" className="rounded-2xl bg-white p-5 shadow-sm ring-1 ring-neutral-200">
      <legend className="sr-only">Email me about</legend>
      <div className="flex items-baseline justify-between gap-3">
        <h2 className="text-base font-semibold text-neutral-900">Email me about</h2>
        <span role="status" aria-live="polite" className="text-xs text-neutral-600">
          {state.kind === "saving" ? "Saving…" : state.kind === "saved" ? "Saved" : null}
        </span>
      </div>
      <div className="mt-3 grid gap-2 sm:grid-cols-2 lg:grid-cols-4">
        {NOTIFY_ON_OPTIONS.map((o) => (
          <label
            key={o.value}
            className={`flex cursor-pointer gap-2 rounded-xl p-3 ring-1 ${
              value === o.value ? "bg-blue-50 ring-blue-300" : "ring-neutral-200 hover:bg-neutral-50"
            }`}
          >
            <input
              type="radio"
              name="notifyOn"
              value={o.value}
              checked={value === o.value}
              disabled={state.kind === "saving"}
              onChange={() => void choose(o.value)}
              data-testid={`notify-${o.value}`}
              className="mt-0.5 accent-blue-600"
            />
            <span>
              <span className="block text-sm font-medium text-neutral-900">{o.label}</span>
              <span className="block text-xs text-neutral-600">{o.hint}</span>
            </span>
          </label>
        ))}
      </div>
      {state.kind === "error" ? (
        <p role="alert" className="mt-3 text-sm text-red-700">
          {state.message}
        </p>
      ) : null}
    </fieldset>
  );
}

export default NotifyPreference;
