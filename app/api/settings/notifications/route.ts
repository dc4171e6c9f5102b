import { z } from "zod";
import { readJson, withViewer } from "@/lib/api/handler";
import { json } from "@/lib/api/errors";
import { getNotifyOn, notifyOnBody, setNotifyOn } from "@/lib/notify/service";

export const GET = withViewer(z.object({}), async ({ viewer }) => json({ success: true, notifyOn: await getNotifyOn(viewer) }));

export const PUT = withViewer(z.object({}), async ({ req, viewer }) => {
  const { notifyOn } = await readJson(req, notifyOnBody);
  return json({ success: true, notifyOn: await setNotifyOn(viewer, notifyOn) });
});
