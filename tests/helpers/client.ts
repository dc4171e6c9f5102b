// Talks to the running app like a browser would: cookies, JSON, and a real SSE reader.
import { randomUUID } from "node:crypto";
import type { ProgressData } from "@/lib/sync/types";

export interface SseFrame {
  id?: number;
  event?: string;
  data?: string;
  retry?: number;
  comment?: string;
}

export function parseSse(text: string): SseFrame[] {
  const frames: SseFrame[] = [];
  for (const block of text.split("\n\n")) {
    if (block.trim() === "") continue;
    const frame: SseFrame = {};
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) frame.comment = line.slice(1).trim();
      else if (line.startsWith("id: ")) frame.id = Number(line.slice(4));
      else if (line.startsWith("event: ")) frame.event = line.slice(7);
      else if (line.startsWith("data: ")) data.push(line.slice(6));
      else if (line.startsWith("retry: ")) frame.retry = Number(line.slice(7));
    }
    if (data.length) frame.data = data.join("\n");
    frames.push(frame);
  }
  return frames;
}

export interface StreamEvent {
  id: number;
  event: string;
  data: ProgressData;
}

function isReusedSocketRace(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } } | null)?.cause;
  return err instanceof TypeError && (cause?.code === "UND_ERR_SOCKET" || cause?.code === "ECONNRESET");
}

export class TestUser {
  private constructor(
    readonly baseUrl: string,
    readonly email: string,
    private cookie: string,
  ) {}

  /**
   * Signs up a new user (signed in at once, as the app does) and, unless `verify: false`,
   * confirms the address the way a person would: the verification email is read from the
   * in-app outbox and its link opened. Sync emails only go to verified addresses.
   */
  static async signUp(baseUrl: string, opts: { verify?: boolean; email?: string } = {}): Promise<TestUser> {
    const email = opts.email ?? `user-${randomUUID().slice(0, 8)}@example.test`;
    const res = await fetch(`${baseUrl}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: baseUrl },
      body: JSON.stringify({ email, password: "correct horse battery", name: "Test User" }),
    });
    if (res.status !== 200) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    const user = new TestUser(baseUrl, email, cookie);
    if (opts.verify !== false) await user.verifyEmail();
    return user;
  }

  /** The verification link from the outbox (waits for the email: it is recorded just after sign-up). */
  async verificationLink(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const list = await this.json<{ notifications?: { id: string; kind: string }[] }>("/api/notifications");
      const mail = list.body.notifications?.find((n) => n.kind === "verify_email");
      if (mail) {
        const detail = await this.json<{ notification?: { text?: string } }>(`/api/notifications/${mail.id}`);
        const text = detail.body.notification?.text ?? "";
        const link = /https?:\/\/\S*\/verify-email\?\S+/.exec(text)?.[0];
        if (!link) throw new Error(`no verification link in: ${text}`);
        return link;
      }
      if (Date.now() > deadline) throw new Error(`no verification email for ${this.email}: ${JSON.stringify(list.body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Opens the verification link, as a click in the signed-in browser would. */
  async verifyEmail(): Promise<void> {
    const link = new URL(await this.verificationLink());
    const res = await this.fetch(`${link.pathname}${link.search}`, { redirect: "manual" });
    if (res.status !== 302 && res.status !== 200) throw new Error(`verification failed: ${res.status} ${await res.text()}`);
    await res.arrayBuffer().catch(() => undefined);
  }

  /** The same signed-in user talking to another instance of the app. */
  at(baseUrl: string): TestUser {
    return new TestUser(baseUrl, this.email, this.cookie);
  }

  /** The session cookie as name/value pairs (to hand to a browser). */
  cookies(): { name: string; value: string }[] {
    return this.cookie.split("; ").map((pair) => {
      const i = pair.indexOf("=");
      return { name: pair.slice(0, i), value: pair.slice(i + 1) };
    });
  }

  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    // The session cookie, plus any the caller adds (e.g. an OAuth state cookie).
    const extra = headers.get("cookie");
    headers.set("cookie", extra ? `${this.cookie}; ${extra}` : this.cookie);
    // An explicit origin header wins ("" sends none, like a non-browser client).
    if (!headers.has("origin")) headers.set("origin", this.baseUrl);
    else if (headers.get("origin") === "") headers.delete("origin");
    if (init.body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
    const method = (init.method ?? "GET").toUpperCase();
    const send = () => fetch(`${this.baseUrl}${path}`, { ...init, headers });
    if (method !== "GET" && method !== "HEAD") return send();
    // Like a browser: an idempotent request that met a kept-alive connection the server had just
    // closed (the keep-alive race: "other side closed" before any answer) is sent once more.
    return send().catch((err: unknown) => {
      if (!isReusedSocketRace(err) || init.signal?.aborted) throw err;
      return send();
    });
  }

  async json<T = Record<string, unknown>>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
    const res = await this.fetch(path, init);
    return { status: res.status, body: (await res.json()) as T };
  }

  async connectSandbox(type: string, scenario?: { items: number; latency_ms: number; fault: string }): Promise<void> {
    const c = await this.json(`/api/integrations/${type}/connect`, { method: "POST", body: JSON.stringify({ mode: "sandbox" }) });
    if (c.status !== 200) throw new Error(`connect failed: ${JSON.stringify(c.body)}`);
    if (scenario) {
      const s = await this.json(`/api/integrations/${type}/sandbox`, { method: "PUT", body: JSON.stringify(scenario) });
      if (s.status !== 200) throw new Error(`scenario failed: ${JSON.stringify(s.body)}`);
    }
  }

  async startSync(type: string): Promise<{ status: number; syncId: string; attached: boolean }> {
    const r = await this.json<{ sync_id: string; attached?: boolean }>(`/api/integrations/${type}/sync`, { method: "POST" });
    return { status: r.status, syncId: r.body.sync_id, attached: r.body.attached === true };
  }

  async progress(syncId: string): Promise<ProgressData> {
    const r = await this.json<ProgressData>(`/api/sync-progress/${syncId}`);
    if (r.status !== 200) throw new Error(`progress ${r.status}`);
    return r.body;
  }

  /** Reads the stream until the server closes it (after the terminal event) or `stopAfter` events. */
  async stream(
    syncId: string,
    opts: { lastEventId?: string; stopAfter?: number; timeoutMs?: number } = {},
  ): Promise<{ status: number; headers: Headers; frames: SseFrame[]; events: StreamEvent[]; closedByServer: boolean }> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), opts.timeoutMs ?? 30_000);
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (opts.lastEventId !== undefined) headers["last-event-id"] = opts.lastEventId;
    const res = await this.fetch(`/api/sync-progress/${syncId}/stream`, { headers, signal: controller.signal });
    let text = "";
    let closedByServer = false;
    if (res.status === 200 && res.body) {
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) {
            closedByServer = true;
            break;
          }
          text += value;
          if (opts.stopAfter !== undefined && parseSse(text).filter((f) => f.event).length >= opts.stopAfter) {
            controller.abort();
            break;
          }
        }
      } catch (error) {
        if (!controller.signal.aborted) throw error;
      }
    } else {
      text = await res.text();
    }
    clearTimeout(timer);
    const frames = res.status === 200 ? parseSse(text) : [];
    const events = frames
      .filter((f) => f.event && f.data !== undefined)
      .map((f) => ({ id: f.id!, event: f.event!, data: JSON.parse(f.data!) as ProgressData }));
    return { status: res.status, headers: res.headers, frames, events, closedByServer };
  }

  async waitForTerminal(syncId: string, timeoutMs = 30_000): Promise<ProgressData> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = await this.progress(syncId);
      if (["complete", "error", "cancelled"].includes(p.status)) return p;
      if (Date.now() > deadline) throw new Error(`sync ${syncId} still ${p.status} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
