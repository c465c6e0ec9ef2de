import { EXIT } from "./common.js";

/** Longest delay a Node timer takes (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Resolves on the first SIGINT or SIGTERM, so a long-running command can close cleanly; a second one
 * exits at once (a worker's leases then expire and other workers take its steps over).
 *
 * Until then the process stays alive on purpose. The engine's timers are unref'd (a library must not
 * hold a script open), so an idle worker was kept alive only by its database sockets: when PostgreSQL
 * restarted or ended its sessions, Node found nothing left to wait for and exited (code 13).
 */
export function shutdownSignal(): Promise<void> {
  return new Promise((resolve) => {
    const keepAlive = setInterval(() => undefined, MAX_TIMER_MS);
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
