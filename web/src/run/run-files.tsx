import { useEffect, useState } from "react";
import { useApi } from "../api/context";
import { messageOf } from "../api/errors";
import type { DeclaredFile, RunFile, RunFileList, RunStatus } from "../api/types";
import { download } from "../download";
import { formatBytes, formatTime } from "../format";
import { FilePreview } from "./file-preview";
import { fileName } from "./files-model";

/**
 * The files in a run's working directory, as the server's file system holds them: size, time, and
 * for a declared output its step and whether the file still matches the digest recorded when the
 * step succeeded. A file opens in a preview below the list; every file can be downloaded.
 */
export function RunFiles({ runId, runStatus }: { runId: string; runStatus: RunStatus }) {
  const client = useApi();
  const [listing, setListing] = useState<RunFileList | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);
  // Asked again when the run moves on (a step that succeeds may have written files) or on Refresh.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runStatus and reloads are refetch triggers
  useEffect(() => {
    const abort = new AbortController();
    client
      .listFiles(runId, abort.signal)
      .then((list) => {
        setListing(list);
        setError(null);
      })
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setError(messageOf(e));
      });
    return () => abort.abort();
  }, [client, runId, runStatus, reloads]);

  const save = (relPath: string) =>
    client
      .file(runId, relPath)
      .then((blob) => download(fileName(relPath), blob))
      .catch((e: unknown) => setError(messageOf(e)));

  if (error)
    return (
      <p className="field-error" role="alert">
        {error}
      </p>
    );
  if (!listing) return <p aria-live="polite">Loading files…</p>;
  const file = listing.files.find((f) => f.path === selected) ?? null;
  const missing = listing.declared.filter((d) => d.state === "missing");
  return (
    <div className="run-files" data-testid="run-files">
      <div className="files-head">
        <span className="muted small" data-testid="file-count">
          {listing.present ? countText(listing.files.length) : ""}
          {listing.truncated ? " (the listing stops at 10,000 files)" : ""}
        </span>
        <button type="button" className="button subtle small" onClick={() => setReloads((n) => n + 1)}>
          Refresh
        </button>
      </div>
      {!listing.present ? (
        <p className="muted" data-testid="files-absent">
          This run's directory is not on this server's file system: it is on the machine that ran its steps,
          or it was removed.
        </p>
      ) : listing.files.length === 0 && missing.length === 0 ? (
        <p className="muted">The run's directory holds no files.</p>
      ) : (
        <FileTable files={listing.files} missing={missing} selected={selected} onSelect={setSelected} />
      )}
      {file && (
        <FilePreview
          key={file.path}
          runId={runId}
          file={file}
          onDownload={() => save(file.path)}
          onClose={() => setSelected(null)}
        />
      )}
    </div>
  );
}

function FileTable(props: {
  files: readonly RunFile[];
  missing: readonly DeclaredFile[];
  selected: string | null;
  onSelect: (path: string) => void;
}) {
  return (
    <table className="files-table">
      <thead>
        <tr>
          <th scope="col">Path</th>
          <th scope="col">Size</th>
          <th scope="col">Modified</th>
          <th scope="col">Declared output</th>
        </tr>
      </thead>
      <tbody>
        {props.files.map((f) => (
          <tr
            key={f.path}
            data-testid="file-row"
            data-path={f.path}
            aria-selected={f.path === props.selected}
          >
            <td>
              <button type="button" className="link-button mono" onClick={() => props.onSelect(f.path)}>
                {f.path}
              </button>
            </td>
            <td className="num">{formatBytes(f.size)}</td>
            <td>{formatTime(f.modifiedAt)}</td>
            <td>{f.declared ? <Declared file={f.declared} /> : null}</td>
          </tr>
        ))}
        {props.missing.map((d) => (
          <tr key={d.path} data-testid="file-row" data-path={d.path} className="file-missing">
            <td className="mono">{d.path}</td>
            <td colSpan={2} className="muted">
              not in the directory
            </td>
            <td>
              <Declared file={d} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const STATE_TEXT: Record<DeclaredFile["state"], string> = {
  matches: "matches its digest",
  changed: "changed since the step",
  missing: "missing",
};

/** The declaring step and the file's state; "changed" and "missing" mean a resume runs the step again. */
function Declared({ file }: { file: DeclaredFile }) {
  return (
    <span
      className={`declared declared-${file.state}`}
      data-testid="declared"
      data-state={file.state}
      title={`SHA-256 ${file.digest}${file.state === "matches" ? "" : " — a resume executes the step again"}`}
    >
      {file.stepId}: {STATE_TEXT[file.state]}
    </span>
  );
}

function countText(n: number): string {
  return n === 1 ? "1 file" : `${n.toLocaleString()} files`;
}
