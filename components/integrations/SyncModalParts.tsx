"use client";

// The pieces of the sync modal below its stage line: the three counters, the failed items and a
// "Details" disclosure for technical words (status codes, attempts) that people rarely need.
import type { ReactNode } from "react";
import type { FailureItem } from "./use-sync-failures";
import { formatCount } from "./labels";

/** A native disclosure: keyboard and screen readers get it for free. Renders nothing without text. */
export function Details({ text, testId, tone = "neutral" }: { text?: string | null; testId?: string; tone?: "neutral" | "red" | "amber" }) {
  if (!text) return null;
  const summaryCls = tone === "red" ? "text-red-800" : tone === "amber" ? "text-amber-900" : "text-neutral-700";
  return (
    <details data-testid={testId} className="mt-1.5 text-xs">
      <summary className={`cursor-pointer font-medium underline underline-offset-2 ${summaryCls}`}>Details</summary>
      <p className="mt-1 whitespace-pre-line break-words font-mono text-[11px] leading-snug text-neutral-700">{text}</p>
    </details>
  );
}

function Tile({ label, testId, value, valueCls }: { label: string; testId: string; value: ReactNode; valueCls: string }) {
  return (
    <div className="flex min-w-0 flex-col-reverse rounded-xl bg-neutral-50 px-1 py-3 text-center">
      <dt className="text-xs text-neutral-600">{label}</dt>
      <dd data-testid={testId} className={`truncate font-semibold tabular-nums ${valueCls}`}>
        {value}
      </dd>
    </div>
  );
}

export function Counters({ counting, found, processed, failed }: { counting: boolean; found: number; processed: number; failed: number }) {
  return (
    <dl className="mb-4 grid grid-cols-3 gap-2 sm:gap-3">
      <Tile
        label={counting && found > 0 ? "Found so far" : "Found"}
        testId="sync-found"
        value={counting && found === 0 ? "counting…" : formatCount(found)}
        valueCls={counting && found === 0 ? "py-1 text-base text-neutral-600" : "text-2xl text-neutral-900"}
      />
      <Tile label="Processed" testId="sync-processed" value={formatCount(processed)} valueCls="text-2xl text-green-700" />
      <Tile label="Failed" testId="sync-failed" value={formatCount(failed)} valueCls={`text-2xl ${failed > 0 ? "text-red-700" : "text-neutral-600"}`} />
    </dl>
  );
}

/** The failed items grouped by reason: each reason said once, then the items it applies to. */
export function groupFailures(failures: FailureItem[]): { reason: string; items: FailureItem[]; details: string[] }[] {
  const groups = new Map<string, { reason: string; items: FailureItem[]; details: string[] }>();
  for (const f of failures) {
    const g = groups.get(f.reason) ?? { reason: f.reason, items: [], details: [] };
    g.items.push(f);
    if (f.detail && !g.details.includes(f.detail)) g.details.push(f.detail);
    groups.set(f.reason, g);
  }
  return [...groups.values()];
}

export function FailuresBox({ failures, failedCount }: { failures: FailureItem[]; failedCount: number }) {
  if (failures.length === 0) return null;
  return (
    <div data-testid="sync-failures" className="mb-4 rounded-xl border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900">
      <p className="mb-1 font-medium">Items that could not be synced</p>
      {groupFailures(failures).map((g) => (
        <div key={g.reason} className="mt-1.5">
          <p className="break-words">{g.reason}</p>
          <ul className="mt-0.5 list-inside list-disc text-xs">
            {g.items.map((f) => (
              <li key={f.external_id} data-testid="sync-failure" className="truncate" title={f.title ?? f.external_id}>
                {f.title ?? f.external_id}
              </li>
            ))}
          </ul>
          <Details text={g.details.join("\n")} tone="amber" />
        </div>
      ))}
      {failedCount > failures.length ? <p className="mt-1.5 text-xs text-amber-900">and {formatCount(failedCount - failures.length)} more</p> : null}
    </div>
  );
}
