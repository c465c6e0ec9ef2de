import { z } from "zod";
import { workflow } from "../../src/index.js";
import { gate } from "../helpers/engine.js";

/** What the test workflows do, switched by the tests between requests. */
export const controls = {
  /** `flaky`'s parse step throws while this is true. */
  failParse: true,
  /** `gated`'s wait step waits for this gate (replace it per test). */
  gate: gate(),
  /** `secretive`'s use step throws while this is true. */
  failSecretive: true,
  /** `stubborn`'s step throws while this is true. */
  failStubborn: true,
};

export function resetGate(): void {
  controls.gate = gate();
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) =>
    signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true }),
  );
}

/** fetch → parse (fails while `controls.failParse`) → report. */
export const flaky = workflow("flaky")
  .step("fetch", { label: "Fetch rows" }, async ({ log }) => {
    log("fetched 3 rows");
    return { rows: 3 };
  })
  .step("parse", { needs: ["fetch"], label: "Parse rows" }, async ({ needs, log, checkpoint }) => {
    log(`parsing ${needs.fetch.rows} rows`);
    await checkpoint({ parsed: 2 }, { force: true });
    if (controls.failParse) throw new Error("parse exploded at row 3\nsecond line of the error");
    return { parsed: needs.fetch.rows };
  })
  .step("report", { needs: ["parse"] }, async ({ needs }) => `parsed ${needs.parse.parsed}`);

/** first → wait (until `controls.gate` opens, or the run is cancelled) → last. */
export const gated = workflow("gated")
  .step("first", async () => 1)
  .step("wait", { needs: ["first"] }, async ({ signal }) => {
    await Promise.race([controls.gate.promise, aborted(signal)]);
    return 2;
  })
  .step("last", { needs: ["wait"] }, async () => 3);

/** Two independent steps: quick to run, for listings. */
export const quick = workflow("quick")
  .step("one", { needs: [] }, async () => "one")
  .step("two", { needs: [] }, async () => "two");

/** Input validated by a schema. */
export const typed = workflow("typed", { input: z.object({ name: z.string().min(1) }) }).step(
  "greet",
  async ({ input }) => `hello ${input.name}`,
);

/**
 * Needs the secret API_KEY: logs it, writes it into its output and error (all must be masked), and
 * records only whether it received the expected value.
 */
export const secretive = workflow("secretive", { secrets: ["API_KEY"] }).step(
  "use",
  async ({ secrets, log }) => {
    const key = secrets.API_KEY ?? "";
    log(`calling the API with key ${key}`);
    if (controls.failSecretive) throw new Error(`the API rejected key ${key}`);
    return { echoed: key, length: key.length };
  },
);

/** One step: fails while `controls.failStubborn`, otherwise waits for `controls.gate`. */
export const stubborn = workflow("stubborn").step("work", async ({ signal }) => {
  if (controls.failStubborn) throw new Error("not yet");
  await Promise.race([controls.gate.promise, aborted(signal)]);
  return "done";
});
