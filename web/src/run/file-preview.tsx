import { useEffect, useState } from "react";
import { useApi } from "../api/context";
import { messageOf } from "../api/errors";
import type { RunFile } from "../api/types";
import { JsonView } from "../components/json-view";
import { formatBytes } from "../format";
import { type CsvPreview, csvPreview, jsonPreview, PREVIEW_MAX_BYTES, previewKind } from "./files-model";

type Content =
  | { kind: "image"; url: string }
  | { kind: "json"; value: unknown }
  | { kind: "csv"; table: CsvPreview }
  | { kind: "text"; text: string; note?: string }
  | { kind: "none"; type: string };

/** One file's content: an image, pretty JSON, the first rows of a CSV, text; or download only. */
export function FilePreview(props: {
  runId: string;
  file: RunFile;
  onDownload: () => void;
  onClose: () => void;
}) {
  const { runId, file } = props;
  const client = useApi();
  const tooLarge = file.size > PREVIEW_MAX_BYTES;
  const [content, setContent] = useState<Content | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (tooLarge) return;
    const abort = new AbortController();
    let url: string | null = null;
    client
      .file(runId, file.path, abort.signal)
      .then(async (blob) => {
        const next = await contentOf(blob);
        if (next.kind === "image") url = next.url;
        if (abort.signal.aborted) {
          if (url) URL.revokeObjectURL(url);
          return;
        }
        setContent(next);
      })
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setError(messageOf(e));
      });
    return () => {
      abort.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [client, runId, file.path, tooLarge]);

  return (
    <section className="file-preview" aria-label={`File ${file.path}`} data-testid="file-preview">
      <div className="files-head">
        <h3 className="mono">{file.path}</h3>
        <span className="muted small">{formatBytes(file.size)}</span>
        <button type="button" className="button small" onClick={props.onDownload} data-testid="file-download">
          Download
        </button>
        <button type="button" className="button subtle small" onClick={props.onClose}>
          Close
        </button>
      </div>
      {tooLarge ? (
        <p className="muted" data-testid="preview-none">
          Too large to preview (over {formatBytes(PREVIEW_MAX_BYTES)}): download it.
        </p>
      ) : error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : content === null ? (
        <p aria-live="polite">Loading…</p>
      ) : (
        <Body content={content} name={file.path} />
      )}
    </section>
  );
}

function Body({ content, name }: { content: Content; name: string }) {
  switch (content.kind) {
    case "image":
      return <img className="preview-image" src={content.url} alt={name} data-testid="preview-image" />;
    case "json":
      return (
        <div data-testid="preview-json">
          <JsonView value={content.value} label={name} />
        </div>
      );
    case "csv":
      return <CsvTable table={content.table} />;
    case "text":
      return (
        <>
          {content.note && <p className="muted small">{content.note}</p>}
          <pre className="preview-text" data-testid="preview-text">
            {content.text}
          </pre>
        </>
      );
    case "none":
      return (
        <p className="muted" data-testid="preview-none">
          No preview for {content.type || "this kind of file"}: download it.
        </p>
      );
  }
}

function CsvTable({ table }: { table: CsvPreview }) {
  return (
    <div className="preview-csv" data-testid="preview-csv">
      <table className="files-table">
        <thead>
          <tr>
            {table.header.map((h, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: columns have no identity but their place
              <th key={i} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row, r) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their place
            <tr key={r}>
              {row.map((cell, c) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: cells have no identity but their place
                <td key={c}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {table.truncated && (
        <p className="muted small">The first {table.rows.length} rows; download the file for all.</p>
      )}
    </div>
  );
}

/** What the preview shows for a file, from the content type the server sent with it. */
async function contentOf(blob: Blob): Promise<Content> {
  const kind = previewKind(blob.type);
  if (kind === "image") return { kind, url: URL.createObjectURL(blob) };
  if (kind === "none") return { kind, type: blob.type };
  const text = await blob.text();
  if (kind === "csv") return { kind, table: csvPreview(text, blob.type.startsWith("text/tab-separated")) };
  if (kind === "json") {
    const parsed = jsonPreview(text);
    return "value" in parsed
      ? { kind, value: parsed.value }
      : { kind: "text", text, note: `Not valid JSON (${parsed.invalid}): shown as text.` };
  }
  return { kind, text };
}
