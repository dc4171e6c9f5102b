import { auth } from "@/lib/auth";
import { errorResponse } from "@/lib/api/errors";

async function handle(req: Request): Promise<Response> {
  try {
    return await auth().handler(req);
  } catch (error) {
    return errorResponse(error);
  }
}

export const GET = handle;
export const POST = handle;
