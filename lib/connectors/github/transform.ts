// Pure: one item of GET /repos/{owner}/{repo}/issues (an issue or a pull request) -> DocumentInput.
import { z } from "zod";
import type { DocumentInput, ItemFailure } from "@/lib/connectors/types";
import { malformedReason, unreadableItem } from "@/lib/connectors/kit/malformed-reason";

const timestamp = z
  .string()
  .refine((s) => Number.isFinite(Date.parse(s)), { message: "not a valid date" })
  .transform((s) => new Date(s));

const labelSchema = z.union([z.string(), z.looseObject({ name: z.string().nullish() })]);

const issueSchema = z.looseObject({
  number: z.number().int().positive(),
  title: z.string(),
  body: z.string().nullish(),
  html_url: z.url(),
  state: z.string(),
  user: z.looseObject({ login: z.string() }).nullish(),
  labels: z.array(labelSchema).nullish(),
  pull_request: z.looseObject({}).nullish(),
  created_at: timestamp,
  updated_at: timestamp,
});

export type TransformResult =
  | { ok: true; document: DocumentInput; label: string }
  | { ok: false; failure: ItemFailure };

function field(raw: unknown, name: string): unknown {
  return typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>)[name] : undefined;
}

/** `<owner>/<repo>#<number>`, the stable id of an issue or pull request. */
export function githubExternalId(repoFullName: string, number: number): string {
  return `${repoFullName}#${number}`;
}

/** The id of a raw item even when the rest of it is broken (so failures can be told apart). */
export function rawItemKey(raw: unknown, repoFullName: string): string {
  const number = field(raw, "number");
  if (typeof number === "number" && Number.isInteger(number) && number > 0) return githubExternalId(repoFullName, number);
  const id = field(raw, "id");
  if (typeof id === "number" || typeof id === "string") return `${repoFullName}#id:${id}`;
  return `${repoFullName}#unknown`;
}

function reasonFrom(error: z.ZodError, raw: unknown): string {
  return malformedReason(error, raw, "GitHub sent a malformed item", "item");
}

export function transformIssue(raw: unknown, repoFullName: string): TransformResult {
  const parsed = issueSchema.safeParse(raw);
  if (!parsed.success) {
    const title = field(raw, "title");
    return {
      ok: false,
      failure: {
        externalId: rawItemKey(raw, repoFullName),
        ...(typeof title === "string" && title ? { title } : {}),
        ...unreadableItem("GitHub", "item", reasonFrom(parsed.error, raw)),
      },
    };
  }
  const item = parsed.data;
  const isPr = item.pull_request !== undefined && item.pull_request !== null;
  const labels = (item.labels ?? [])
    .map((l) => (typeof l === "string" ? l : (l.name ?? "")))
    .filter((name) => name.length > 0);
  const document: DocumentInput = {
    externalId: githubExternalId(repoFullName, item.number),
    kind: isPr ? "pull_request" : "issue",
    title: item.title,
    text: item.body ?? "",
    url: item.html_url,
    ...(item.user ? { author: item.user.login } : {}),
    metadata: { repo: repoFullName, number: item.number, state: item.state, labels },
    createdAt: item.created_at,
    updatedAt: item.updated_at,
  };
  return { ok: true, document, label: `${isPr ? "Pull request" : "Issue"}: ${item.title}` };
}
