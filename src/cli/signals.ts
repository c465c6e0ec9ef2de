import { EXIT } from "./common.js";

/**
 * Resolves on the first SIGINT or SIGTERM, so a long-running command can close cleanly; a second one
 * exits at once (a worker's leases then expire and other workers take its steps over).
 */
export function shutdownSignal(): Promise<void> {
  return new Promise((resolve) => {
    // Signal handlers do not keep the event loop alive: an idle SQLite worker (no LISTEN connection,
    // unref'd timers) otherwise exited with code 13 as soon as it had nothing to do.
    const keepAlive = setInterval(() => undefined, 2 ** 30);
    const onSignal = () => {
      clearInterval(keepAlive);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      const force = () => process.exit(EXIT.interrupted);
      process.once("SIGINT", force);
      process.once("SIGTERM", force);
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
