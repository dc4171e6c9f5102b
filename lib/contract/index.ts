// The contract module: types and constants shared by the server, the client, connectors,
// sandboxes and progress. Nothing here imports zod, Prisma or Node APIs, so client components
// and every layer can depend on it without pulling in server code.
export * from "@/lib/contract/providers";
export * from "@/lib/contract/progress";
export * from "@/lib/contract/errors";
export * from "@/lib/contract/sandbox";
export * from "@/lib/contract/api";
