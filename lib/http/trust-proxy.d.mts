// Types of trust-proxy.mjs (plain JS: scripts/server.mjs imports it without a build step).
import type { BlockList } from "node:net";
import type { IncomingHttpHeaders } from "node:http";

export type TrustProxy = { hops: number } | { list: BlockList } | null;

export function normalizeAddress(address: string | undefined | null): string;
export function parseTrustProxy(value: string | undefined | null): TrustProxy;
export function headerList(value: string | string[] | undefined | null): string[];
export function pickClient(chain: string[], trust: TrustProxy, peerIncluded?: boolean): string | null;
export function peerTrusted(peer: string | undefined, trust: TrustProxy): boolean;
export function firstHost(value: string | string[] | undefined | null): string | undefined;
export function firstProto(value: string | string[] | undefined | null): "http" | "https" | undefined;
export function normalizeForwarded(headers: IncomingHttpHeaders, peer: string | undefined, encrypted: boolean, trust: TrustProxy): void;
