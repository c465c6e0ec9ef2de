import { z } from "@hono/zod-openapi";

/**
 * The files of a run's working directory as GET /api/runs/{id}/files lists them. Kept apart from the
 * route (which reads the file system) so the web UI can take its types from here.
 */

const Millis = z.number().int().openapi({ description: "Milliseconds since the Unix epoch." });

export const DeclaredFileSchema = z
  .object({
    path: z.string(),
    stepId: z.string().openapi({ description: "The step that declared the file in `outputs`." }),
    digest: z.string().openapi({ description: "SHA-256 (hex) recorded when the step succeeded." }),
    state: z.enum(["matches", "changed", "missing"]).openapi({
      description: "The file now: as recorded, different, or gone (a resume executes the step again).",
    }),
  })
  .openapi("DeclaredFile");

export const RunFileListSchema = z
  .object({
    present: z.boolean().openapi({
      description:
        "false when the run's directory is not on the server's file system (another machine, or removed).",
    }),
    files: z.array(
      z.object({
        path: z.string().openapi({ description: "Relative to the run directory, `/`-separated." }),
        size: z.number().int(),
        modifiedAt: Millis,
        declared: DeclaredFileSchema.nullable(),
      }),
    ),
    declared: z.array(DeclaredFileSchema).openapi({
      description: "Every declared output of the run's succeeded steps, missing ones included.",
    }),
    truncated: z.boolean().openapi({ description: "The listing stopped at 10,000 files." }),
  })
  .openapi("RunFileList");
