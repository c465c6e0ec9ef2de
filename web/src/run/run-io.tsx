import { useState } from "react";
import type { RunDetail } from "../api/types";
import { JsonView } from "../components/json-view";
import { RunFiles } from "./run-files";

const TABS = [
  { id: "io", label: "Input and output" },
  { id: "files", label: "Files" },
] as const;
type Tab = (typeof TABS)[number]["id"];

/**
 * What went into the run and what came out, in two tabs: its input and output as JSON, and the
 * files in its working directory. The files are asked of the API only once their tab is opened.
 */
export function RunIo({ run }: { run: RunDetail }) {
  const [tab, setTab] = useState<Tab>("io");
  return (
    <section className="panel run-io" aria-label="Input, output and files" data-testid="run-io">
      <div className="tabs" role="tablist" aria-label="Run contents">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`run-tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`run-tabpanel-${t.id}`}
            className="tab"
            onClick={() => setTab(t.id)}
            data-testid={`run-tab-${t.id}`}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`run-tabpanel-${tab}`} aria-labelledby={`run-tab-${tab}`}>
        {tab === "io" ? <InputOutput run={run} /> : <RunFiles runId={run.id} runStatus={run.status} />}
      </div>
    </section>
  );
}

/** The run's input (what it was started with) and its output (what its steps returned, once done). */
function InputOutput({ run }: { run: RunDetail }) {
  return (
    <div className="run-io-grid">
      <div data-testid="run-input">
        <h3>Input</h3>
        <JsonView value={run.input} label="input" />
      </div>
      <div data-testid="run-output">
        <h3>Output</h3>
        {run.output === null && run.status !== "succeeded" ? (
          <p className="muted">none yet: the run has not succeeded</p>
        ) : (
          <JsonView value={run.output} label="output" />
        )}
      </div>
    </div>
  );
}
