// POST /api/integrations/{type}/sandbox/changes: the contract (issue 18). What each sandbox then
// reports through its change feed is tested per provider (changes-<provider>.test.ts).
import { describe, expect, inject, it } from "vitest";
import { TestUser } from "@/tests/helpers/client";
import { queryDb } from "@/tests/helpers/db-query";

const baseUrl = inject("baseUrl");
const databaseUrl = inject("databaseUrl");

interface ChangesAnswer {
  success: boolean;
  added: number;
  edited: number;
  deleted: number;
  external_ids: { added: string[]; edited: string[]; deleted: string[] };
  error?: string;
}

function post(user: TestUser, type: string, body: string, headers: Record<string, string> = {}) {
  return user.json<ChangesAnswer>(`/api/integrations/${type}/sandbox/changes`, { method: "POST", body, headers });
}

describe("POST /api/integrations/{type}/sandbox/changes", () => {
  it("refuses what it cannot do with a clear 4xx and records nothing", async () => {
    const user = await TestUser.signUp(baseUrl);
    // Not connected in sandbox mode yet.
    const before = await post(user, "box", JSON.stringify({ add: 1 }));
    expect(before.status).toBe(409);
    expect(before.body.error).toMatch(/connect the sandbox first/);

    await user.connectSandbox("box", { items: 30, latency_ms: 0, fault: "none" });
    const bad: [string, number, RegExp][] = [
      ["{}", 400, /at least one change/],
      [JSON.stringify({ add: 0, edit: 0, delete: 0 }), 400, /at least one change/],
      [JSON.stringify({ add: -1 }), 400, /add/],
      [JSON.stringify({ edit: 101 }), 400, /at most 100/],
      [JSON.stringify({ delete: 1.5 }), 400, /delete/],
      [JSON.stringify({ add: "3" }), 400, /add/],
      [JSON.stringify({ add: 1, rename: 2 }), 400, /rename|unrecognized/i],
      ["[1,2]", 400, /./],
      ["{not json", 400, /not valid JSON/],
    ];
    for (const [body, status, words] of bad) {
      const r = await post(user, "box", body);
      expect(r.status, body).toBe(status);
      expect(r.body.success, body).toBe(false);
      expect(r.body.error, body).toMatch(words);
    }
    expect((await post(user, "dropbox", JSON.stringify({ add: 1 }))).status).toBe(400);
    const anonymous = await fetch(`${baseUrl}/api/integrations/box/sandbox/changes`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: baseUrl },
      body: JSON.stringify({ add: 1 }),
    });
    expect(anonymous.status).toBe(401);
    const rows = await queryDb<{ n: number | bigint }>(databaseUrl, `SELECT COUNT(*) AS n FROM "sandbox_change" c JOIN "connection" k ON k."id" = c."accountKey" WHERE k."userId" = (SELECT "id" FROM "user" WHERE "email" = ?)`, user.email);
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it("applies the changes now and names the items it touched; a new dataset size starts afresh", async () => {
    const user = await TestUser.signUp(baseUrl);
    await user.connectSandbox("gmail", { items: 40, latency_ms: 0, fault: "none" });
    const r = await post(user, "gmail", JSON.stringify({ add: 3, edit: 3, delete: 3 }));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ success: true, added: 3, edited: 3, deleted: 3 });
    const { added, edited, deleted } = r.body.external_ids;
    expect(added).toHaveLength(3);
    expect(edited).toHaveLength(3);
    expect(deleted).toHaveLength(3);
    // Nine distinct items: an edit and a delete never pick the same one.
    expect(new Set([...added, ...edited, ...deleted]).size).toBe(9);

    // Asking to delete more than is left deletes what is left, and says how many.
    const all = await post(user, "gmail", JSON.stringify({ delete: 100 }));
    expect(all.status).toBe(200);
    expect(all.body.deleted).toBe(40 + 3 - 3);
    expect(all.body.external_ids.deleted).not.toContain(deleted[0]);
    const none = await post(user, "gmail", JSON.stringify({ edit: 2 }));
    expect(none.body).toMatchObject({ success: true, edited: 0 });

    const log = async () =>
      Number(
        (await queryDb<{ n: number | bigint }>(databaseUrl, `SELECT COUNT(*) AS n FROM "sandbox_change" c JOIN "connection" k ON k."id" = c."accountKey" WHERE k."userId" = (SELECT "id" FROM "user" WHERE "email" = ?)`, user.email))[0]!.n,
      );
    expect(await log()).toBe(9 + 40);
    // Another fault on the same dataset keeps its changes; another size is another dataset.
    await user.connectSandbox("gmail", { items: 40, latency_ms: 5, fault: "none" });
    expect(await log()).toBe(49);
    await user.connectSandbox("gmail", { items: 50, latency_ms: 5, fault: "none" });
    expect(await log()).toBe(0);
  });
});
