// The two emails a sync sends, as pure functions of the run: an HTML part built for mail
// clients (nested tables, inline styles, system fonts, no images) and a plain-text part.
// Every string that came from a provider or a run (titles, reasons, error texts, notes)
// goes through escapeHtml: an item titled `<img src=x onerror=…>` shows as text.
import { UP_TO_DATE, changesWords, hadChanges, type LibraryChanges } from "@/lib/sync/run-words";
import { formatDuration } from "@/lib/contract";

export interface FailedItem {
  externalId: string;
  title: string | null;
  reason: string;
}

export interface RunEmailInput {
  /** "github" — used in the retry link. */
  connectorType: string;
  /** "GitHub" */
  provider: string;
  totalItems: number;
  processedItems: number;
  failedItems: number;
  /** What the run changed in the library (absent: a run from before these counters). */
  changes?: LibraryChanges;
  startedAt: Date;
  finishedAt: Date;
  errorMessage?: string | null;
  /** Caps that stopped the run early and other things the summary must say. */
  notes: string[];
  /** The first few failed items of the run (the email shows at most MAX_FAILED_ITEMS). */
  failures: FailedItem[];
  /** Where the links point: APP_URL, without a trailing slash. */
  appUrl: string;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export const MAX_FAILED_ITEMS = 5;

export type AdviceKind = "reconnect" | "wait" | "retry";

export interface Advice {
  kind: AdviceKind;
  /** One sentence: what to do. */
  text: string;
  action: { label: string; url: string };
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** Provider strings can be anything: one line, bounded, no control characters. */
function clean(value: string, max: number): string {
  const oneLine = value.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

export function formatCount(n: number): string {
  return Math.max(0, Math.trunc(n)).toLocaleString("en-US");
}

function items(n: number): string {
  return `${formatCount(n)} ${n === 1 ? "item" : "items"}`;
}

export function integrationsUrl(appUrl: string): string {
  return `${appUrl}/integrations`;
}

/** Opens the Integrations page and starts a sync of `type` there (IntegrationsBoard reads ?sync=). */
export function retryUrl(appUrl: string, type: string): string {
  return `${appUrl}/integrations?sync=${encodeURIComponent(type)}`;
}

/** What the user should do about a failed run, derived from the words of its error. */
export function failureAdvice(errorMessage: string, provider: string, type: string, appUrl: string): Advice {
  if (/rate limit/i.test(errorMessage)) {
    return {
      kind: "wait",
      text: `${provider} is limiting how fast we may read right now. Wait until the limit resets (usually within the hour), then sync again — it continues where it stopped.`,
      action: { label: "Retry the sync", url: retryUrl(appUrl, type) },
    };
  }
  // The sync engine ends auth failures with "… Reconnect <Provider>." (see lib/sync/errors.ts).
  if (/\bReconnect\b/.test(errorMessage) || /\b(HTTP 401|HTTP 403)\b/.test(errorMessage)) {
    return {
      kind: "reconnect",
      text: `${provider} no longer accepts the saved sign-in. Reconnect ${provider} on the Integrations page, then sync again.`,
      action: { label: `Reconnect ${provider}`, url: integrationsUrl(appUrl) },
    };
  }
  return {
    kind: "retry",
    text: "This is usually temporary. Try the sync again; it continues where it stopped. If it keeps failing, check the provider's status page.",
    action: { label: "Retry the sync", url: retryUrl(appUrl, type) },
  };
}

export function completeSubject(input: Pick<RunEmailInput, "provider" | "processedItems" | "failedItems" | "changes">): string {
  // The same words as the modal and the history (lib/sync/run-words.ts).
  if (!hadChanges({ processed: input.processedItems, failed: input.failedItems, changes: input.changes })) return clean(`${input.provider}: ${UP_TO_DATE.toLowerCase()}`, 200);
  const failed = input.failedItems > 0 ? `, ${formatCount(input.failedItems)} failed` : "";
  if (input.changes && input.processedItems + input.failedItems === 0) return clean(`${input.provider} sync complete — ${changesWords(input.changes)}`, 200);
  return clean(`${input.provider} sync complete — ${items(input.processedItems)}${failed}`, 200);
}

export function failedSubject(input: Pick<RunEmailInput, "provider">): string {
  return clean(`${input.provider} sync failed`, 200);
}

function duration(input: RunEmailInput): string {
  return formatDuration(Math.max(0, input.finishedAt.getTime() - input.startedAt.getTime()));
}

function shownFailures(input: RunEmailInput): FailedItem[] {
  return input.failures.slice(0, MAX_FAILED_ITEMS);
}

function failureLabel(f: FailedItem): string {
  return clean(f.title?.trim() ? f.title : f.externalId, 160);
}

// ---------- HTML building blocks (tables + inline styles) ----------

const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const TEXT = `font-family:${FONT};color:#1f2937;`;

function row(content: string, padding = "0 32px 16px 32px"): string {
  return `<tr><td style="padding:${padding};${TEXT}font-size:15px;line-height:22px;">${content}</td></tr>`;
}

function button(label: string, url: string): string {
  const href = escapeHtml(url);
  return (
    `<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr>` +
    `<td bgcolor="#2563eb" style="border-radius:6px;background-color:#2563eb;">` +
    `<a href="${href}" target="_blank" style="display:inline-block;padding:12px 22px;font-family:${FONT};font-size:15px;font-weight:bold;color:#ffffff;text-decoration:none;border-radius:6px;">${escapeHtml(label)}</a>` +
    `</td></tr></table>` +
    `<p style="margin:12px 0 0 0;${TEXT}font-size:13px;line-height:18px;color:#6b7280;">Or open <a href="${href}" style="color:#2563eb;word-break:break-all;">${escapeHtml(url)}</a></p>`
  );
}

function stats(cells: [string, string, string?][]): string {
  const width = Math.floor(100 / cells.length);
  const tds = cells
    .map(
      ([label, value, color]) =>
        `<td width="${width}%" valign="top" style="padding:12px 8px;border:1px solid #e5e7eb;background-color:#f9fafb;text-align:center;">` +
        `<div style="${TEXT}font-size:22px;line-height:28px;font-weight:bold;color:${color ?? "#111827"};">${escapeHtml(value)}</div>` +
        `<div style="${TEXT}font-size:12px;line-height:16px;color:#6b7280;text-transform:uppercase;letter-spacing:0.5px;">${escapeHtml(label)}</div>` +
        `</td>`,
    )
    .join("");
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;"><tr>${tds}</tr></table>`;
}

function notesBlock(notes: string[]): string {
  if (!notes.length) return "";
  const lis = notes.map((n) => `<li style="margin:0 0 4px 0;">${escapeHtml(clean(n, 300))}</li>`).join("");
  return row(
    `<div style="padding:12px 16px;border-left:4px solid #f59e0b;background-color:#fffbeb;">` +
      `<div style="${TEXT}font-size:14px;font-weight:bold;color:#92400e;">Stopped early</div>` +
      `<ul style="margin:6px 0 0 0;padding:0 0 0 18px;${TEXT}font-size:14px;line-height:20px;color:#92400e;">${lis}</ul></div>`,
  );
}

function failuresBlock(input: RunEmailInput): string {
  const shown = shownFailures(input);
  if (!shown.length) return "";
  const rows = shown
    .map(
      (f) =>
        `<tr><td valign="top" style="padding:8px 10px;border-top:1px solid #e5e7eb;${TEXT}font-size:14px;line-height:20px;">${escapeHtml(failureLabel(f))}</td>` +
        `<td valign="top" style="padding:8px 10px;border-top:1px solid #e5e7eb;${TEXT}font-size:14px;line-height:20px;color:#b91c1c;">${escapeHtml(clean(f.reason, 300))}</td></tr>`,
    )
    .join("");
  const more = input.failedItems > shown.length ? input.failedItems - shown.length : 0;
  const moreLine = more
    ? `<p style="margin:8px 0 0 0;${TEXT}font-size:13px;color:#6b7280;">…and ${items(more)} more.</p>`
    : "";
  return row(
    `<div style="${TEXT}font-size:14px;font-weight:bold;margin:0 0 6px 0;">${shown.length === 1 ? "Failed item" : `First ${shown.length} failed items`}</div>` +
      `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;border:1px solid #e5e7eb;">` +
      `<tr><th align="left" width="45%" style="padding:8px 10px;background-color:#f9fafb;${TEXT}font-size:12px;color:#6b7280;text-transform:uppercase;">Item</th>` +
      `<th align="left" style="padding:8px 10px;background-color:#f9fafb;${TEXT}font-size:12px;color:#6b7280;text-transform:uppercase;">Reason</th></tr>` +
      rows +
      `</table>${moreLine}`,
  );
}

function layout(opts: { subject: string; preheader: string; accent: string; heading: string; body: string; appUrl: string }): string {
  const settings = `${opts.appUrl}/notifications`;
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light only">` +
    `<title>${escapeHtml(opts.subject)}</title></head>` +
    `<body style="margin:0;padding:0;background-color:#f3f4f6;">` +
    `<div style="display:none;max-height:0;overflow:hidden;opacity:0;">${escapeHtml(opts.preheader)}</div>` +
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f3f4f6;">` +
    `<tr><td align="center" style="padding:24px 12px;">` +
    `<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background-color:#ffffff;border:1px solid #e5e7eb;border-top:4px solid ${opts.accent};">` +
    `<tr><td style="padding:20px 32px 4px 32px;${TEXT}font-size:14px;font-weight:bold;color:#2563eb;">2nd Brain</td></tr>` +
    `<tr><td style="padding:4px 32px 12px 32px;${TEXT}font-size:22px;line-height:28px;font-weight:bold;color:#111827;">${escapeHtml(opts.heading)}</td></tr>` +
    opts.body +
    `<tr><td style="padding:16px 32px 24px 32px;border-top:1px solid #e5e7eb;${TEXT}font-size:12px;line-height:18px;color:#6b7280;">` +
    `You get this email because you synced a source in 2nd Brain. ` +
    `<a href="${escapeHtml(settings)}" style="color:#6b7280;">Choose which syncs send email</a>.</td></tr>` +
    `</table></td></tr></table></body></html>\n`
  );
}

// ---------- the two emails ----------

export function renderSyncComplete(input: RunEmailInput): RenderedEmail {
  const subject = completeSubject(input);
  const found = Math.max(input.totalItems, input.processedItems + input.failedItems);
  const took = duration(input);
  const link = integrationsUrl(input.appUrl);
  const shown = shownFailures(input);
  const notes = input.notes.map((n) => clean(n, 300));

  const changed = hadChanges({ processed: input.processedItems, failed: input.failedItems, changes: input.changes });
  const intro = !changed
    ? `Your ${escapeHtml(input.provider)} sync finished in ${escapeHtml(took)}: ${UP_TO_DATE.toLowerCase()}, nothing new since the last sync.`
    : `Your ${escapeHtml(input.provider)} sync finished in ${escapeHtml(took)}: ` +
      `${escapeHtml(items(input.processedItems))} synced` +
      (input.failedItems ? `, ${escapeHtml(formatCount(input.failedItems))} could not be read` : "") +
      (input.changes ? ` (${escapeHtml(changesWords(input.changes))}).` : ".");
  const heading = changed ? `${input.provider} sync complete` : `${input.provider}: ${UP_TO_DATE.toLowerCase()}`;
  const body =
    row(intro) +
    row(
      stats([
        ["Found", formatCount(found)],
        ["Processed", formatCount(input.processedItems), "#15803d"],
        ["Failed", formatCount(input.failedItems), input.failedItems ? "#b91c1c" : undefined],
        ["Duration", took],
      ]),
    ) +
    notesBlock(notes) +
    failuresBlock(input) +
    row(button("Open Integrations", link), "8px 32px 24px 32px");
  const html = layout({
    subject,
    preheader: `${items(input.processedItems)} synced from ${input.provider} in ${took}.`,
    accent: input.failedItems || notes.length ? "#f59e0b" : "#16a34a",
    heading,
    body,
    appUrl: input.appUrl,
  });

  const lines = [
    heading,
    "",
    `Found:     ${formatCount(found)}`,
    `Processed: ${formatCount(input.processedItems)}`,
    `Failed:    ${formatCount(input.failedItems)}`,
    ...(input.changes ? [`Changes:   ${changesWords(input.changes)}`] : []),
    `Duration:  ${took}`,
  ];
  if (notes.length) lines.push("", "Stopped early:", ...notes.map((n) => `- ${n}`));
  if (shown.length) {
    lines.push("", shown.length === 1 ? "Failed item:" : `First ${shown.length} failed items:`);
    lines.push(...shown.map((f) => `- ${failureLabel(f)}: ${clean(f.reason, 300)}`));
    if (input.failedItems > shown.length) lines.push(`…and ${items(input.failedItems - shown.length)} more.`);
  }
  lines.push("", `Open Integrations: ${link}`, "", "-- ", `2nd Brain · choose which syncs send email: ${input.appUrl}/notifications`, "");
  return { subject, html, text: lines.join("\n") };
}

export function renderSyncFailed(input: RunEmailInput): RenderedEmail {
  const subject = failedSubject(input);
  const message = clean(input.errorMessage?.trim() || "The sync stopped on an unexpected problem.", 1000);
  const advice = failureAdvice(message, input.provider, input.connectorType, input.appUrl);
  const took = duration(input);
  const notes = input.notes.map((n) => clean(n, 300));
  const progress =
    input.processedItems > 0
      ? `${items(input.processedItems)} were synced before it stopped; they are kept.`
      : "Nothing was synced before it stopped.";

  const body =
    row(`Your ${escapeHtml(input.provider)} sync stopped after ${escapeHtml(took)}. ${escapeHtml(progress)}`) +
    row(
      `<div style="padding:12px 16px;border-left:4px solid #dc2626;background-color:#fef2f2;">` +
        `<div style="${TEXT}font-size:14px;font-weight:bold;color:#991b1b;">What went wrong</div>` +
        `<div style="${TEXT}font-size:14px;line-height:20px;color:#991b1b;margin-top:4px;">${escapeHtml(message)}</div></div>`,
    ) +
    row(
      `<div style="${TEXT}font-size:14px;font-weight:bold;">What to do</div>` +
        `<div style="${TEXT}font-size:15px;line-height:22px;margin-top:4px;">${escapeHtml(advice.text)}</div>`,
    ) +
    notesBlock(notes) +
    failuresBlock(input) +
    row(button(advice.action.label, advice.action.url), "8px 32px 24px 32px");
  const html = layout({
    subject,
    preheader: message,
    accent: "#dc2626",
    heading: `${input.provider} sync failed`,
    body,
    appUrl: input.appUrl,
  });

  const shown = shownFailures(input);
  const lines = [
    `${input.provider} sync failed`,
    "",
    `What went wrong: ${message}`,
    "",
    `What to do: ${advice.text}`,
    `${advice.action.label}: ${advice.action.url}`,
    "",
    `Processed before it stopped: ${formatCount(input.processedItems)} (failed: ${formatCount(input.failedItems)}, duration: ${took})`,
  ];
  if (notes.length) lines.push("", "Stopped early:", ...notes.map((n) => `- ${n}`));
  if (shown.length) {
    lines.push("", shown.length === 1 ? "Failed item:" : `First ${shown.length} failed items:`);
    lines.push(...shown.map((f) => `- ${failureLabel(f)}: ${clean(f.reason, 300)}`));
  }
  lines.push("", "-- ", `2nd Brain · choose which syncs send email: ${input.appUrl}/notifications`, "");
  return { subject, html, text: lines.join("\n") };
}
