import { EXIT } from "./common.js";

/**
 * Resolves on the first SIGINT or SIGTERM, so a long-running command can close cleanly; a second one
 * exits at once (a worker's leases then expire and other workers take its steps over).
 *
 * Until then a ref'd timer keeps the process alive: signal handlers do not, and the engine's own timers
 * are unref'd (a library must not hold its host's process open), so without it a `cairn worker` on an
 * idle store left Node with nothing to wait for and it exited with 13 (unsettled top-level await).
 */
export function shutdownSignal(): Promise<void> {
  return new Promise((resolve) => {
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
