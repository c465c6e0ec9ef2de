import type { Cairn } from "../cairn.js";
import type { LogLine } from "../core/types.js";

/**
 * `cairn logs <run> --follow`: print the log lines recorded so far, then new ones as they are recorded
 * (polling every `pollMs`), until the run is no longer running. The status is read before the lines,
 * so the last read after the run stopped holds every line it wrote.
 */
export async function followLogs(
  cairn: Cairn,
  runId: string,
  stepId: string | undefined,
  print: (line: LogLine) => void,
  pollMs = 200,
): Promise<void> {
  let seen = 0;
  for (;;) {
    const status = (await cairn.get(runId))?.run.status;
    const lines = await cairn.logs(runId, stepId);
    for (const line of lines.slice(seen)) print(line);
    seen = lines.length;
    if (status !== "running") return;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
