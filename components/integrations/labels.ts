// Client-side copies of small constants (lib/sync/types pulls zod in at runtime).
import type { ConnectorType } from "@/lib/contract";

export const CONNECTOR_LABEL: Record<ConnectorType, string> = {
  gmail: "Gmail",
  slack: "Slack",
  box: "Box",
  github: "GitHub",
};

export function connectorLabel(type: string): string {
  return (CONNECTOR_LABEL as Record<string, string | undefined>)[type] ?? type.charAt(0).toUpperCase() + type.slice(1);
}

export function formatCount(n: number): string {
  return Math.max(0, Math.trunc(n)).toLocaleString("en-US");
}

export function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** "just now", "2 minutes ago", "3 days ago" (English, relative to `now`). */
export function formatRelative(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "unknown time";
  const diff = Math.round((t - now) / 1000); // negative: in the past
  const abs = Math.abs(diff);
  if (abs < 45) return diff <= 0 ? "just now" : "in a few seconds";
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
    if (abs >= u[1]) {
      chosen = u;
      break;
    }
  }
  const value = Math.round(diff / chosen[1]);
  return rtf.format(value === 0 ? (diff < 0 ? -1 : 1) : value, chosen[0]);
}
