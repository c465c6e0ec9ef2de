import fs from "node:fs";
import path from "node:path";
import type { Cairn } from "../cairn.js";
import { CairnError, isCairnError } from "../core/errors.js";
import type { Json } from "../core/types.js";
import type { RunHandle, StartOptions } from "../engine/client.js";

/** What `cairn run` treats as a file: a path that exists, or one that names a workflow file by its form. */
const FILE_LIKE = /[/\\#]|\.(ya?ml|json|[mc]?[jt]s)$/i;

/**
 * Whether `cairn run`'s argument names a workflow stored in the store (by id) rather than a file:
 * no file of that name exists and it does not look like a path (`flows/etl.yaml`, `etl.ts#report`).
 */
export function isStoredId(target: string): boolean {
  return !fs.existsSync(target) && !FILE_LIKE.test(target);
}

/**
 * Start a stored workflow's version (`--version`, default the newest) for `--tenant`. When the
 * tenant stored no such workflow, the sentence also says the argument was not a file.
 */
export async function startStored(
  cairn: Cairn,
  id: string,
  input: Json,
  options: StartOptions & { version?: string; tenant: string },
): Promise<RunHandle> {
  const version = options.version ?? "latest";
  try {
    return await cairn.start(id, input, { ...options, version });
  } catch (error) {
    if (isCairnError(error, "NOT_FOUND") && options.version === undefined)
      throw new CairnError(
        "NOT_FOUND",
        `There is no workflow file ${path.resolve(id)}, and tenant "${options.tenant}" stored no workflow "${id}" (cairn workflows push stores one).`,
        { cause: error },
      );
    throw error;
  }
}
