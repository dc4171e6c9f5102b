// Wakes streams when a run records an event. In-process by default; with REDIS_URL every
// event also goes over Redis pub/sub, so a stream on any web instance hears a run that
// executes on any worker. The bus only wakes: the database log stays the source of truth
// (a stream that missed a wake-up reads the gap from it, see lib/progress/stream.ts).
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Redis } from "ioredis";
import { env } from "@/lib/env";
import { newRedis, redis, redisKey } from "@/lib/redis/connection";
import { processSingleton } from "@/lib/platform/singleton";

export interface BusEvent {
  runId: string;
  seq: number;
  name: string;
  data: string;
}

export interface ProgressBus {
  publish(event: BusEvent): void;
  subscribe(runId: string, listener: (event: BusEvent) => void): () => void;
  listenerCount(runId: string): number;
}

export class InProcessBus implements ProgressBus {
  private emitter = new EventEmitter();
  constructor() {
    this.emitter.setMaxListeners(0);
  }
  publish(event: BusEvent): void {
    this.emitter.emit(event.runId, event);
  }
  subscribe(runId: string, listener: (event: BusEvent) => void): () => void {
    this.emitter.on(runId, listener);
    return () => this.emitter.off(runId, listener);
  }
  listenerCount(runId: string): number {
    return this.emitter.listenerCount(runId);
  }
}


/**
 * Local listeners hear this process's events at once (no round trip); other processes'
 * events arrive over one subscriber connection, which is subscribed to a run's channel
 * only while someone here listens to that run. Redis keeps each publisher's order.
 */
export class RedisBus implements ProgressBus {
  private local = new InProcessBus();
  private readonly instance = randomUUID();
  private subscriber: Redis | undefined;
  private readonly prefix = redisKey("progress:");

  constructor(
    private readonly publisher: () => Redis = redis,
    private readonly makeSubscriber: () => Redis = () => newRedis("progress-subscriber", { subscriber: true }),
  ) {}

  publish(event: BusEvent): void {
    this.local.publish(event);
    const message = JSON.stringify({ from: this.instance, ...event });
    // Losing a wake-up costs a stream at most its poll interval; never the event.
    this.publisher().publish(this.prefix + event.runId, message).catch(() => undefined);
  }

  subscribe(runId: string, listener: (event: BusEvent) => void): () => void {
    const first = this.local.listenerCount(runId) === 0;
    const off = this.local.subscribe(runId, listener);
    if (first) this.sub().subscribe(this.prefix + runId).catch(() => undefined);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      off();
      if (this.local.listenerCount(runId) === 0) this.sub().unsubscribe(this.prefix + runId).catch(() => undefined);
    };
  }

  listenerCount(runId: string): number {
    return this.local.listenerCount(runId);
  }

  async close(): Promise<void> {
    const sub = this.subscriber;
    this.subscriber = undefined;
    if (sub) await sub.quit().catch(() => sub.disconnect());
  }

  private sub(): Redis {
    if (this.subscriber) return this.subscriber;
    const sub = this.makeSubscriber();
    sub.on("message", (channel: string, message: string) => {
      if (!channel.startsWith(this.prefix)) return;
      let parsed: BusEvent & { from?: string };
      try {
        parsed = JSON.parse(message) as BusEvent & { from?: string };
      } catch {
        return;
      }
      if (parsed.from === this.instance) return; // already delivered locally
      const { from: _from, ...event } = parsed;
      if (typeof event.runId === "string" && typeof event.seq === "number") this.local.publish(event);
    });
    this.subscriber = sub;
    return sub;
  }
}

export function progressBus(): ProgressBus {
  return processSingleton<ProgressBus>("progress-bus", () => (env().REDIS_URL ? new RedisBus() : new InProcessBus()));
}
