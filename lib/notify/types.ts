// Shapes of the notifications API: part of the contract (lib/contract/api.ts).
export type { NotificationKindName, NotificationStatusName, NotifyOnName, NotificationSummary, NotificationDetail } from "@/lib/contract/api";
