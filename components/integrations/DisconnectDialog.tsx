"use client";

import { useEffect, useId, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from "react";
import { Loader2 } from "lucide-react";
import type { IntegrationSummary } from "./types";
import { plural } from "./labels";

export interface DisconnectDialogProps {
  integration: IntegrationSummary;
  busy: boolean;
  error: string | null;
  onConfirm: (deleteDocuments: boolean) => void;
  onCancel: () => void;
}

const FOCUSABLE = 'button:not([disabled]), input:not([disabled]), [href], [tabindex]:not([tabindex="-1"])';

/** "Disconnect GitHub?" with the option to delete what was synced from it. */
export function DisconnectDialog({ integration: it, busy, error, onConfirm, onCancel }: DisconnectDialogProps) {
  const [deleteDocuments, setDeleteDocuments] = useState(false);
  const titleId = useId();
  const descId = useId();
  const dialogRef = useRef<HTMLDivElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const onCancelRef = useRef(onCancel);
  useEffect(() => {
    onCancelRef.current = onCancel;
  });

  useEffect(() => {
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    cancelRef.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        e.stopPropagation();
        onCancelRef.current();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("keydown", onKey);
      previous?.focus?.();
    };
  }, []);

  const trapTab = (e: ReactKeyboardEvent<HTMLDivElement>) => {
    if (e.key !== "Tab" || !dialogRef.current) return;
    const items = Array.from(dialogRef.current.querySelectorAll<HTMLElement>(FOCUSABLE));
    const first = items[0];
    const last = items[items.length - 1];
    if (!first || !last) return;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };

  const where = it.mode === "live" ? `${it.label} is asked to revoke 2nd Brain's access` : "The sandbox token is revoked";
  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-neutral-900/50 p-4 backdrop-blur-[1px]">
      <div
        ref={dialogRef}
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={descId}
        onKeyDown={trapTab}
        data-testid={`disconnect-dialog-${it.type}`}
        className="w-full max-w-md rounded-2xl bg-white p-6 shadow-xl ring-1 ring-neutral-200"
      >
        <h2 id={titleId} className="text-lg font-semibold text-neutral-900">
          Disconnect {it.label}?
        </h2>
        <p id={descId} className="mt-2 text-sm text-neutral-600">
          {where}, and the stored credentials are deleted. Syncing stops until you connect again.
        </p>
        {it.item_count > 0 ? (
          <label className="mt-4 flex items-start gap-2 text-sm text-neutral-800">
            <input
              type="checkbox"
              data-testid={`disconnect-delete-${it.type}`}
              checked={deleteDocuments}
              onChange={(e) => setDeleteDocuments(e.target.checked)}
              disabled={busy}
              className="mt-0.5 h-4 w-4 rounded border-neutral-300"
            />
            <span>Also delete the {plural(it.item_count, "synced item", "synced items")}</span>
          </label>
        ) : null}
        {error ? (
          <p role="alert" data-testid={`disconnect-error-${it.type}`} className="mt-3 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800">
            {error}
          </p>
        ) : null}
        <div className="mt-6 flex justify-end gap-2">
          <button
            ref={cancelRef}
            type="button"
            onClick={onCancel}
            disabled={busy}
            className="rounded-lg bg-white px-3.5 py-2 text-sm font-medium text-neutral-700 ring-1 ring-neutral-300 hover:bg-neutral-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-600"
          >
            Cancel
          </button>
          <button
            type="button"
            data-testid={`disconnect-confirm-${it.type}`}
            onClick={() => onConfirm(deleteDocuments)}
            disabled={busy}
            className="inline-flex items-center gap-1.5 rounded-lg bg-red-600 px-3.5 py-2 text-sm font-medium text-white hover:bg-red-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-600 disabled:bg-red-300"
          >
            {busy ? <Loader2 aria-hidden className="h-4 w-4 animate-spin" /> : null}
            {busy ? "Disconnecting…" : "Disconnect"}
          </button>
        </div>
      </div>
    </div>
  );
}

export default DisconnectDialog;
