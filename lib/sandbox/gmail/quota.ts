// Gmail's quota: units per method, a per-user token bucket, and the window of the `rate_limit` fault.

/** Gmail's published per-user quota: 15,000 units a minute, i.e. 250 units a second. */
export const GMAIL_USER_QUOTA = { capacity: 15_000, refillPerSecond: 250 } as const;
/** The `rate_limit` fault: a small fixed window so a sync runs into it within seconds. */
export const FAULT_QUOTA = { units: 250, windowMs: 2_000 } as const;

/** Quota units per method (developers.google.com/gmail/api/reference/quota). */
export const GMAIL_COSTS = { "messages.get": 5, "messages.list": 5, "messages.attachments.get": 5, "history.list": 2, "getProfile": 1 } as const;
export type Method = keyof typeof GMAIL_COSTS;
