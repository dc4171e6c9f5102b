// Issues a repository's listing shows whose `repository_url` is another repository's: GitHub
// transferred them while the listing was served. Only then does the connector read an issue on
// its own: GET /repos/{o}/{r}/issues/{n} ("Get an issue": 301 Moved Permanently when transferred,
// which fetch follows; 404 when it went to, or was deleted from, a repository the user cannot
// read; 410 Gone when deleted where the user can read). The answers become a document (under
// the repository it lives in now), or a failure in plain words plus a removal of the old id.
import type { Octokit } from "@octokit/rest";
import type { DocumentInput, ItemFailure } from "@/lib/connectors/types";
import { statusOf } from "./client";
import { githubExternalId, transformIssue } from "./transform";
import type { RepoRef } from "./types";

/** Whether a listed item says it lives in another repository than the one listed. */
export function listedElsewhere(raw: unknown, repo: RepoRef): boolean {
  const url = typeof raw === "object" && raw !== null ? (raw as { repository_url?: unknown }).repository_url : undefined;
  if (typeof url !== "string") return false;
  return !url.toLowerCase().endsWith(`/repos/${repo.fullName.toLowerCase()}`);
}

/** "owner/name" of an issue's repository_url (…/repos/{owner}/{name}), or undefined. */
function fullNameOf(raw: unknown): string | undefined {
  const url = typeof raw === "object" && raw !== null ? (raw as { repository_url?: unknown }).repository_url : undefined;
  const m = typeof url === "string" ? /\/repos\/([^/]+\/[^/]+)$/.exec(url) : null;
  return m?.[1];
}

export type MovedOutcome =
  | { kind: "document"; document: DocumentInput; label: string; removed?: string }
  | { kind: "failure"; failure: ItemFailure; removed: string };

export async function readMovedIssue(octokit: Octokit, repo: RepoRef, number: number, title: string | undefined): Promise<MovedOutcome> {
  const oldId = githubExternalId(repo.fullName, number);
  const where = `GET /repos/${repo.fullName}/issues/${number}`;
  try {
    const res = await octokit.rest.issues.get({ owner: repo.owner, repo: repo.name, issue_number: number });
    const home = fullNameOf(res.data) ?? repo.fullName;
    const result = transformIssue(res.data, home);
    if (!result.ok) return { kind: "failure", failure: result.failure, removed: oldId };
    return { kind: "document", document: result.document, label: result.label, ...(result.document.externalId !== oldId ? { removed: oldId } : {}) };
  } catch (err) {
    const status = statusOf(err);
    const base = { externalId: oldId, ...(title ? { title } : {}) };
    if (status === 410) {
      return {
        kind: "failure",
        failure: { ...base, reason: "This issue was deleted in GitHub before 2nd Brain could read it, so it is not in your library.", detail: `${where}: HTTP 410 Gone` },
        removed: oldId,
      };
    }
    if (status === 404) {
      const at = (err as { response?: { url?: unknown } }).response?.url;
      const moved = typeof at === "string" && !at.includes(`/repos/${repo.fullName}/`);
      return {
        kind: "failure",
        failure: {
          ...base,
          reason: "This issue was moved to another repository (or deleted there) and your GitHub account cannot see it, so it is not in your library.",
          detail: moved ? `${where}: 301 Moved Permanently, then HTTP 404 Not Found at ${at}` : `${where}: HTTP 404 Not Found`,
        },
        removed: oldId,
      };
    }
    throw err;
  }
}
