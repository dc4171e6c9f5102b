// How each provider looks in the app (client-side): its icon, the icon's tint, and what to paste
// for providers that take a token. Labels come from the contract (CONNECTOR_LABELS); one place
// for all of it, read by the cards and the Library.
import { FileText, Folder, GitBranch, Mail, MessageSquare, type LucideIcon } from "lucide-react";
import type { ConnectorType } from "@/lib/contract";

// lucide-react 1.x dropped brand icons (no `Github`): GitBranch stands in.
export const PROVIDER_ICONS: Record<ConnectorType, LucideIcon> = {
  gmail: Mail,
  slack: MessageSquare,
  box: Folder,
  github: GitBranch,
};

/** The icon of a provider named by an API answer (a document's `provider`); a generic one for others. */
export function providerIcon(type: string): LucideIcon {
  return (PROVIDER_ICONS as Record<string, LucideIcon | undefined>)[type] ?? FileText;
}

export const PROVIDER_TINTS: Record<ConnectorType, string> = {
  gmail: "bg-red-50 text-red-600",
  slack: "bg-purple-50 text-purple-600",
  box: "bg-sky-50 text-sky-600",
  github: "bg-neutral-100 text-neutral-800",
};

/** Providers that take a pasted token, and what kind of token to paste. */
export const TOKEN_HINTS: Partial<Record<ConnectorType, string>> = {
  github: "A personal access token that can read your repositories (repo scope).",
  slack: "A bot token (xoxb-…) with channels:read, channels:history, groups:read, groups:history and users:read.",
  box: "A developer token from your Box app's configuration page.",
};
