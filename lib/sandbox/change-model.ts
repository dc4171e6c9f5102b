// What lib/sandbox/changes.ts needs to know of each sandbox to apply POST .../sandbox/changes:
// the external id the connector stores for an item, and which items a change may touch.
import type { SandboxAccount } from "@/lib/sandbox/accounts";

export interface SandboxChangeModel {
  /** The external id the provider's connector gives item `index` (Document.externalId, `external_id`). */
  externalId(index: number, account: SandboxAccount): string;
  /**
   * Whether an edit or a delete may pick item `index` (default: every item). A sandbox says no
   * to items its connector never stores as documents of their own (e.g. a thread reply it
   * folds into its parent) or that the `item_errors` fault breaks.
   */
  changeable?(index: number, account: SandboxAccount): boolean;
}
