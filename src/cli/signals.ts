import { EXIT } from "./common.js";

/**
 * Resolves on the first SIGINT or SIGTERM, so a long-running command can close cleanly; a second one
 * exits at once (a worker's leases then expire and other workers take its steps over).
 */
export function shutdownSignal(): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = () => {
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
