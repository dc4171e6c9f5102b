// The PostgreSQL pool behind Prisma's adapter, with one repair. Prisma's transaction manager
// ends a transaction with `executeRaw("COMMIT" | "ROLLBACK")` and only then `commit()` /
// `rollback()`, which is what returns the client to the pool; when the connection died
// mid-transaction (PostgreSQL restarted, connections terminated, a session ended for idling in
// a transaction) that statement throws and the client is never released. Twenty such
// transactions and every later query waits for a client that never comes back ("timeout
// exceeded when trying to connect": seen in the resilience suite's 12 s outage). Here a client
// whose connection ends while it is checked out is released at once, with the error, so the
// pool drops it; the later release by its holder, if any, is ignored.
import pg from "pg";

type Release = (err?: Error | boolean) => void;

export function createPgPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  // An idle client's connection dying is the pool's business; it must not crash the process.
  pool.on("error", () => undefined);
  const connect = pool.connect.bind(pool) as (cb?: (err: Error | undefined, client: pg.PoolClient | undefined, done: Release) => void) => Promise<pg.PoolClient> | void;
  // pool.query() uses the callback form and releases its own clients: left as it is.
  pool.connect = ((callback?: Parameters<typeof connect>[0]) => {
    if (callback) return connect(callback);
    return (connect() as Promise<pg.PoolClient>).then((client) => {
      const release = client.release.bind(client) as Release;
      let released = false;
      const onGone = (error?: Error) => {
        if (released) return;
        released = true;
        client.removeListener("end", onEnd);
        release(error ?? new Error("connection ended while checked out"));
      };
      const onEnd = () => onGone();
      const onError = (error: Error) => onGone(error);
      client.once("end", onEnd);
      client.on("error", onError);
      client.release = ((err?: Error | boolean) => {
        client.removeListener("end", onEnd);
        client.removeListener("error", onError);
        if (released) return;
        released = true;
        release(err);
      }) as typeof client.release;
      return client;
    });
  }) as typeof pool.connect;
  return pool;
}
