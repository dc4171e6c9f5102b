import { attachmentBytes, attachmentSpecOf } from "./attachments";
import { describe, expect, it } from "vitest";
import {
  referenceCodeOf,
  HISTORY_TOKEN_SALT,
  LIST_TOKEN_SALT,
  THREAD_BLOCK,
  bodyKindOf,
  decodePageToken,
  encodePageToken,
  firstIndexAfter,
  historyIdOf,
  internalDateMs,
  labelIdsOf,
  listHistoryPage,
  listMessagesPage,
  mailboxHistoryId,
  makeMessage,
  makeProfile,
  messageFacts,
  messageId,
  messageIndexOf,
  rfc2822,
  snippetOf,
  threadCount,
  threadIdOf,
  threadStartOf,
  type BodyKind,
  type GmailMessagePart,
} from "./data";

function allParts(p: GmailMessagePart): GmailMessagePart[] {
  return [p, ...(p.parts ?? []).flatMap(allParts)];
}

function decode(data: string, charset = "utf-8"): string {
  return new TextDecoder(charset).decode(Buffer.from(data, "base64url"));
}

function header(p: GmailMessagePart, name: string): string | undefined {
  return p.headers?.find((h) => h.name === name)?.value ?? undefined;
}

describe("gmail sandbox data: ids, dates and history", () => {
  it("ids are 16 hex digits, grow with the index, and map back to it in O(1)", () => {
    let prev = "";
    for (const i of [0, 1, 2, 11, 12, 999, 1_000, 54_321, 99_999]) {
      const id = messageId(i);
      expect(id).toMatch(/^[0-9a-f]{16}$/);
      expect(id > prev).toBe(true);
      prev = id;
      expect(messageIndexOf(id)).toBe(i);
    }
    for (let i = 0; i < 2_000; i++) expect(messageIndexOf(messageId(i))).toBe(i);
    const id = messageId(42);
    const flipped = id.slice(0, 15) + (id[15] === "0" ? "1" : "0");
    expect(messageIndexOf(flipped)).toBe(-1);
    expect(messageIndexOf("0000000000000000")).toBe(-1);
    expect(messageIndexOf("ffffffffffffffff")).toBe(-1);
    expect(messageIndexOf("not-an-id")).toBe(-1);
    expect(messageIndexOf(id.toUpperCase())).toBe(-1);
  });

  it("internalDate grows strictly, about 5 minutes apart; historyId = 1000 + i", () => {
    for (let i = 1; i < 3_000; i++) {
      const d = internalDateMs(i) - internalDateMs(i - 1);
      expect(d).toBeGreaterThan(60_000);
      expect(d).toBeLessThan(9 * 60_000);
    }
    expect(new Date(internalDateMs(0)).toISOString().slice(0, 13)).toBe("2025-01-06T07");
    expect(historyIdOf(0)).toBe(1_000);
    expect(historyIdOf(250)).toBe(1_250);
    expect(mailboxHistoryId(0)).toBe(999);
    expect(mailboxHistoryId(250)).toBe(1_249);
    expect(firstIndexAfter(999)).toBe(0);
    expect(firstIndexAfter(1_249)).toBe(250);
  });

  it("formats RFC 2822 dates with the sender's offset", () => {
    expect(rfc2822(Date.UTC(2025, 0, 7, 9, 14, 3), 60)).toBe("Tue, 7 Jan 2025 10:14:03 +0100");
    expect(rfc2822(Date.UTC(2025, 0, 7, 3, 4, 5), -300)).toBe("Mon, 6 Jan 2025 22:04:05 -0500");
    expect(rfc2822(Date.UTC(2025, 11, 31, 23, 0, 0), 540)).toBe("Thu, 1 Jan 2026 08:00:00 +0900");
  });

  it("page tokens round-trip and refuse anything they did not issue", () => {
    for (const n of [0, 1, 499, 99_999]) {
      const t = encodePageToken(n, LIST_TOKEN_SALT);
      expect(t).toMatch(/^1\d{19}$/);
      expect(decodePageToken(t, LIST_TOKEN_SALT)).toBe(n);
      expect(decodePageToken(t, HISTORY_TOKEN_SALT)).toBeNull();
    }
    const t = encodePageToken(1234, LIST_TOKEN_SALT);
    expect(decodePageToken(`${t.slice(0, 19)}${t[19] === "9" ? "8" : "9"}`, LIST_TOKEN_SALT)).toBeNull();
    expect(decodePageToken("abc", LIST_TOKEN_SALT)).toBeNull();
    expect(decodePageToken("", LIST_TOKEN_SALT)).toBeNull();
  });
});

describe("gmail sandbox data: threads", () => {
  it("cuts every block of 12 into contiguous threads whose id is their first message's", () => {
    const sizes = new Map<number, number>();
    for (let i = 0; i < 1_200; i++) {
      const start = threadStartOf(i);
      expect(start).toBeLessThanOrEqual(i);
      expect(Math.floor(start / THREAD_BLOCK)).toBe(Math.floor(i / THREAD_BLOCK));
      // Contiguous: everything between the start and i is in the same thread.
      for (let k = start; k <= i; k++) expect(threadStartOf(k)).toBe(start);
      expect(threadIdOf(i)).toBe(messageId(start));
      sizes.set(start, (sizes.get(start) ?? 0) + 1);
    }
    const lengths = [...sizes.values()];
    expect(Math.max(...lengths)).toBe(12); // long threads
    expect(lengths.filter((n) => n === 1).length).toBeGreaterThan(10); // and single messages
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(1_200);
  });

  it("threadCount matches a brute-force count", () => {
    for (const items of [0, 1, 5, 12, 13, 100, 1_000, 1_001, 4_567]) {
      let brute = 0;
      for (let i = 0; i < items; i++) if (threadStartOf(i) === i) brute++;
      expect(threadCount(items)).toBe(brute);
    }
  });

  it("replies say Re:, quote, alternate with the owner (SENT) and point In-Reply-To at the previous message", () => {
    let checked = 0;
    for (let i = 0; i < 600 && checked < 20; i++) {
      const f = messageFacts(i);
      if (f.position === 0) continue;
      const root = messageFacts(threadStartOf(i));
      expect(f.threadId).toBe(root.id);
      if (root.subject !== null) expect(f.subject).toBe(`Re: ${root.subject}`);
      else expect(f.subject).toBeNull();
      if (f.fromMe) {
        expect(f.labelIds).toEqual(["SENT"]);
        expect(f.from).toBe("Sandbox User <sandbox-user@gmail.com>");
      } else {
        expect(f.labelIds).toContain("INBOX");
      }
      const payload = makeMessage(i, { format: "full" }).payload!;
      expect(header(payload, "In-Reply-To")).toMatch(new RegExp(`^<CA\\+${messageId(i - 1)}`));
      if (f.kind !== "empty" && f.kind !== "latin1") expect(f.plain).toContain(`> Earlier message ${i - 1}`);
      checked++;
    }
    expect(checked).toBe(20);
  });
});

describe("gmail sandbox data: messages", () => {
  it("covers the variety a connector must handle", () => {
    const kinds = new Set<BodyKind>();
    const labels = new Set<string>();
    let noSubjectHeader = 0;
    let emptySubject = 0;
    let emoji = 0;
    let cjk = 0;
    let padded = 0;
    let unpadded = 0;
    let large = 0;
    for (let i = 0; i < 2_000; i++) {
      const f = messageFacts(i);
      kinds.add(f.kind);
      f.labelIds.forEach((l) => labels.add(l));
      if (f.subject === null) noSubjectHeader++;
      if (f.subject === "") emptySubject++;
      if (/\p{Extended_Pictographic}/u.test(f.subject ?? "")) emoji++;
      if (/[\u3040-\u30ff\u4e00-\u9fff]/.test(f.subject ?? "") || /[\u3040-\u30ff\u4e00-\u9fff]/.test(f.plain)) cjk++;
      if (f.kind === "large") large++;
      const data = makeMessage(i, { format: "full" }).payload!;
      for (const p of allParts(data)) {
        const d = p.body?.data;
        if (!d) continue;
        if (d.endsWith("=")) padded++;
        else if (d.length % 4 !== 0) unpadded++;
      }
    }
    expect([...kinds].sort()).toEqual(["alternative", "empty", "html", "large", "latin1", "mixed", "plain", "related"]);
    for (const l of ["INBOX", "UNREAD", "IMPORTANT", "STARRED", "SENT", "Label_12", "CATEGORY_PERSONAL", "CATEGORY_UPDATES", "CATEGORY_PROMOTIONS", "CATEGORY_SOCIAL", "CATEGORY_FORUMS"]) {
      expect(labels).toContain(l);
    }
    expect(noSubjectHeader).toBeGreaterThan(0);
    expect(emptySubject).toBeGreaterThan(0);
    expect(emoji).toBeGreaterThan(100);
    expect(cjk).toBeGreaterThan(50);
    expect(padded).toBeGreaterThan(100);
    expect(unpadded).toBeGreaterThan(100);
    expect(large).toBeGreaterThan(5);
    expect(large).toBeLessThan(60);
  });

  it("lays out each body kind like Gmail, base64url-encoded in its charset", () => {
    const first = (kind: BodyKind) => {
      for (let i = 0; ; i++) if (bodyKindOf(i) === kind) return i;
    };
    // multipart/alternative: text/plain then text/html.
    const a = makeMessage(first("alternative"), { format: "full" });
    const fa = messageFacts(first("alternative"));
    expect(a.payload!.mimeType).toBe("multipart/alternative");
    expect(a.payload!.partId).toBe("");
    expect(header(a.payload!, "Content-Type")).toMatch(/^multipart\/alternative; boundary="0{12}[0-9a-f]{12}"$/);
    expect(a.payload!.parts!.map((p) => [p.partId, p.mimeType])).toEqual([["0", "text/plain"], ["1", "text/html"]]);
    expect(decode(a.payload!.parts![0]!.body!.data!)).toBe(fa.plain);
    expect(a.payload!.parts![0]!.body!.size).toBe(Buffer.byteLength(fa.plain));
    expect(decode(a.payload!.parts![1]!.body!.data!)).toBe(fa.html);
    expect(fa.html).toContain("<script>");
    expect(fa.html).toContain("<style");
    // HTML only.
    const h = makeMessage(first("html"), { format: "full" });
    expect(h.payload!.mimeType).toBe("text/html");
    expect(h.payload!.parts).toBeUndefined();
    expect(decode(h.payload!.body!.data!)).toBe(messageFacts(first("html")).html);
    // multipart/mixed > multipart/alternative + attachment.
    const m = makeMessage(first("mixed"), { format: "full" });
    expect(allParts(m.payload!).map((p) => [p.partId, p.mimeType])).toEqual([
      ["", "multipart/mixed"],
      ["0", "multipart/alternative"],
      ["0.0", "text/plain"],
      ["0.1", "text/html"],
      ["1", attachmentSpecOf(first("mixed")).mimeType],
    ]);
    // An attachment part carries an attachmentId and its size, never inline data (messages.attachments.get serves it).
    const file = m.payload!.parts![1]!;
    expect(file.filename).toBe(attachmentSpecOf(first("mixed")).filename);
    expect(file.body!.attachmentId).toMatch(/^ANGjdJ_/);
    expect(file.body!.size).toBe(attachmentSpecOf(first("mixed")).size);
    expect(file.body!.data).toBeUndefined();
    // multipart/alternative > text/plain + multipart/related > html + inline image.
    const r = makeMessage(first("related"), { format: "full" });
    expect(allParts(r.payload!).map((p) => p.mimeType)).toEqual(["multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png"]);
    // Empty body.
    const e = makeMessage(first("empty"), { format: "full" });
    expect(e.payload!.body).toEqual({ size: 0 });
    expect(e.snippet).toBe("");
    // ISO-8859-1.
    const l = makeMessage(first("latin1"), { format: "full" });
    expect(header(l.payload!, "Content-Type")).toBe('text/plain; charset="ISO-8859-1"');
    expect(decode(l.payload!.body!.data!, "latin1")).toBe(messageFacts(first("latin1")).plain);
    expect(decode(l.payload!.body!.data!, "latin1")).toMatch(/café bill was £\d+\.50 \(½ each\)/);
    // Large.
    const big = makeMessage(first("large"), { format: "full" });
    expect(big.payload!.parts![0]!.body!.size).toBeGreaterThan(100_000);
  });

  it("has Gmail's top-level fields and headers, and metadata/minimal formats", () => {
    const i = 30;
    const f = messageFacts(i);
    const full = makeMessage(i, { format: "full" });
    expect(full).toMatchObject({
      id: messageId(i),
      threadId: threadIdOf(i),
      labelIds: f.labelIds,
      historyId: "1030",
      internalDate: String(internalDateMs(i)),
      snippet: snippetOf(f.plain),
    });
    expect(full.sizeEstimate).toBeGreaterThan(500);
    const names = full.payload!.headers!.map((h) => h.name);
    for (const n of ["MIME-Version", "Date", "Message-ID", "From", "To", "Content-Type"]) expect(names).toContain(n);
    expect(header(full.payload!, "Date")).toBe(f.dateHeader);
    expect(Date.parse(f.dateHeader)).toBe(Math.floor(internalDateMs(i) / 1000) * 1000);

    const meta = makeMessage(i, { format: "metadata", metadataHeaders: ["subject", "FROM"] });
    expect(meta.payload!.headers!.map((h) => h.name).sort()).toEqual(f.subject === null ? ["From"] : ["From", "Subject"]);
    expect(meta.payload!.parts).toBeUndefined();
    const minimal = makeMessage(i, { format: "minimal" });
    expect(minimal.payload).toBeUndefined();
    expect(Object.keys(minimal).sort()).toEqual(["historyId", "id", "internalDate", "labelIds", "sizeEstimate", "snippet", "threadId"]);
  });

  it("is deterministic (same JSON bytes every time)", () => {
    for (const i of [0, 7, 123, 4_567]) {
      expect(JSON.stringify(makeMessage(i, { format: "full" }))).toBe(JSON.stringify(makeMessage(i, { format: "full" })));
    }
    expect(labelIdsOf(77)).toEqual(messageFacts(77).labelIds);
  });

  it("snippets are collapsed, cut and HTML-escaped like Gmail's", () => {
    expect(snippetOf("Hi  Ada,\n\nit's <b> & done")).toBe("Hi Ada, it&#39;s &lt;b&gt; &amp; done");
    expect([...snippetOf("é".repeat(500))].length).toBe(140);
  });

  it("item_errors' attachment-gone messages are well formed and carry a CSV attachment", () => {
    const broken = makeMessage(17, { format: "full", broken: true });
    expect(broken.payload!.mimeType).toBe("multipart/mixed");
    const csv = broken.payload!.parts![1]!;
    expect(csv).toMatchObject({ mimeType: "text/csv", filename: "figures-17.csv", body: { size: attachmentSpecOf(17, true).size } });
    expect(csv.body!.attachmentId).toMatch(/^ANGjdJ_/);
    expect(broken.payload!.headers!.find((h) => h.name === "From")).toBeDefined();
    expect(broken.snippet).not.toBe("");
  });

  it("attachments: text ones are their text, binary ones start like their type; sizes are the bytes'", () => {
    const kinds = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const spec = attachmentSpecOf(i);
      kinds.add(spec.mimeType);
      const bytes = attachmentBytes(spec, i);
      expect(bytes.length).toBe(spec.size);
      if (spec.text !== null) expect(new TextDecoder().decode(bytes)).toBe(spec.text);
    }
    expect(kinds).toEqual(new Set(["application/pdf", "text/csv", "text/plain", "application/json", "image/png"]));
    const png = attachmentBytes({ mimeType: "image/png", filename: "x.png", size: 100, text: null }, 1);
    expect([...png.slice(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  });
});

describe("gmail sandbox data: lists", () => {
  it("messages.list pages are newest first and together are every message once", () => {
    const items = 1_234;
    const seen: string[] = [];
    let start: number | undefined;
    for (let page = 0; page < 10; page++) {
      const res = listMessagesPage(items, { startIndex: start, maxResults: 500 });
      expect(res.resultSizeEstimate).toBe(items);
      seen.push(...res.messages!.map((m) => m.id!));
      for (const m of res.messages!) expect(m.threadId).toBe(threadIdOf(messageIndexOf(m.id!)));
      if (!res.nextPageToken) break;
      start = decodePageToken(res.nextPageToken, LIST_TOKEN_SALT)!;
    }
    expect(seen).toEqual(Array.from({ length: items }, (_, k) => messageId(items - 1 - k)));
    expect(listMessagesPage(0, { maxResults: 100 })).toEqual({ resultSizeEstimate: 0 });
  });

  it("new mail between pages does not shift later pages (the token is a position in the mailbox)", () => {
    const p1 = listMessagesPage(1_000, { maxResults: 100 });
    const next = decodePageToken(p1.nextPageToken!, LIST_TOKEN_SALT)!;
    const p2 = listMessagesPage(1_050, { startIndex: next, maxResults: 100 }); // 50 arrived meanwhile
    expect(p2.messages![0]!.id).toBe(messageId(899));
    expect(p2.messages!.at(-1)!.id).toBe(messageId(800));
  });

  it("costs O(page): a page deep inside 100,000 messages is quick", () => {
    const t0 = performance.now();
    const res = listMessagesPage(100_000, { startIndex: 50_000, maxResults: 500 });
    const h = listHistoryPage(100_000, { startHistoryId: 1_000 + 60_000, maxResults: 500, includeAdded: true });
    makeMessage(99_999, { format: "full" });
    makeProfile(100_000);
    expect(performance.now() - t0).toBeLessThan(250);
    expect(res.messages).toHaveLength(500);
    expect(h.history).toHaveLength(500);
    expect(h.history![0]!.id).toBe("61001");
  });

  it("history.list returns the messagesAdded records after startHistoryId, oldest first, paged", () => {
    const items = 260;
    const all: string[] = [];
    let startIndex: number | undefined;
    for (;;) {
      const res = listHistoryPage(items, { startHistoryId: 1_199, startIndex, maxResults: 25, includeAdded: true });
      expect(res.historyId).toBe("1259");
      for (const rec of res.history ?? []) {
        const id = rec.messagesAdded![0]!.message!.id!;
        expect(rec.id).toBe(String(1_000 + messageIndexOf(id)));
        expect(rec.messages).toEqual([{ id, threadId: threadIdOf(messageIndexOf(id)) }]);
        expect(rec.messagesAdded![0]!.message!.labelIds).toEqual(labelIdsOf(messageIndexOf(id)));
        all.push(id);
      }
      if (!res.nextPageToken) break;
      startIndex = decodePageToken(res.nextPageToken, HISTORY_TOKEN_SALT)!;
    }
    expect(all).toEqual(Array.from({ length: 60 }, (_, k) => messageId(200 + k))); // 1200..1259
    expect(listHistoryPage(items, { startHistoryId: 1_259, maxResults: 100, includeAdded: true })).toEqual({ historyId: "1259" });
    expect(listHistoryPage(items, { startHistoryId: 1_199, maxResults: 100, includeAdded: false })).toEqual({ historyId: "1259" });
  });

  it("profile: address, totals and the current historyId", () => {
    expect(makeProfile(250)).toEqual({ emailAddress: "sandbox-user@gmail.com", messagesTotal: 250, threadsTotal: threadCount(250), historyId: "1249" });
    expect(makeProfile(0, "ada")).toEqual({ emailAddress: "ada@gmail.com", messagesTotal: 0, threadsTotal: 0, historyId: "999" });
  });
});

describe("gmail sandbox data: reference codes", () => {
  it("every message but the empty ones carries its own reference, found in no other message", () => {
    const codes = new Set<string>();
    for (let i = 0; i < 5_000; i++) {
      const code = referenceCodeOf(i);
      expect(code).toMatch(/^ref[0-9a-z]{7}$/);
      codes.add(code);
      if (i < 300) expect(messageFacts(i).plain.includes(code)).toBe(bodyKindOf(i) !== "empty");
    }
    expect(codes.size).toBe(5_000);
  });
});
