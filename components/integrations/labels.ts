// Words and numbers as the UI shows them. Provider labels come from the contract (client-safe).
import { CONNECTOR_LABELS, type ConnectorType } from "@/lib/contract";

export const CONNECTOR_LABEL: Record<ConnectorType, string> = CONNECTOR_LABELS;

export function connectorLabel(type: string): string {
  return (CONNECTOR_LABEL as Record<string, string | undefined>)[type] ?? type.charAt(0).toUpperCase() + type.slice(1);
}

export function formatCount(n: number): string {
  return Math.max(0, Math.trunc(n)).toLocaleString("en-US");
}

export function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/**
 * "just now", "2 minutes ago", "3 days ago" (English, relative to `now`). Never in the future:
 * a time a little ahead of this browser's clock (clock skew, a server that stamped the end of a
 * run a moment before this tab looked) reads "just now".
 */
export function formatRelative(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "unknown time";
  const ago = Math.max(0, Math.round((now - t) / 1000)); // seconds in the past, clamped to now
  if (ago < 45) return "just now";
  const rtf = new Intl.RelativeTimeFormat("en", { numeric: "always" });
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ["minute", 60],
    ["hour", 3600],
    ["day", 86400],
    ["week", 604800],
    ["month", 2629800],
    ["year", 31557600],
  ];
  // The largest unit that fits at least once (minutes for 45-59 s).
  let chosen: [Intl.RelativeTimeFormatUnit, number] = units[0]!;
  for (let i = units.length - 1; i >= 0; i--) {
    const u = units[i]!;
    if (ago >= u[1]) {
      chosen = u;
      break;
    }
  }
  return rtf.format(-Math.max(1, Math.round(ago / chosen[1])), chosen[0]);
}

/** The app's date format everywhere: "Dec 6, 2026". */
export function formatDay(iso: string | number | Date): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleDateString("en-US", { month: "short", day: "numeric", year: "numeric" });
}

/** The app's date and time: "Dec 6, 2026, 8:05 PM". */
export function formatDateTime(iso: string | number | Date): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short" });
}

/** "about 3 min left" from ProgressData.eta_s; null when there is no honest estimate. */
export function formatTimeLeft(etaS: unknown): string | null {
  if (typeof etaS !== "number" || !Number.isFinite(etaS) || etaS < 0) return null;
  if (etaS < 45) return "less than a minute left";
  const min = Math.round(etaS / 60);
  if (min < 60) return `about ${Math.max(1, min)} min left`;
  const h = Math.floor(min / 60);
  const m = min % 60;
  return m === 0 ? `about ${h} h left` : `about ${h} h ${m} min left`;
}
