// Wakes streams when a run records an event. In-process by default; the interface is
// what a Redis pub/sub implementation plugs into for many instances.
import { EventEmitter } from "node:events";

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

class InProcessBus implements ProgressBus {
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

const globalKey = Symbol.for("2nd-brain.progress-bus");
type Holder = { [globalKey]?: ProgressBus };

export function progressBus(): ProgressBus {
  const holder = globalThis as Holder;
  holder[globalKey] ??= new InProcessBus();
  return holder[globalKey];
}
