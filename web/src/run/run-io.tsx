import type { RunDetail } from "../api/types";
import { JsonView } from "../components/json-view";

/** The run's input (what it was started with) and its output (what its steps returned, once done). */
export function RunIo({ run }: { run: RunDetail }) {
  return (
    <section className="panel run-io" aria-labelledby="run-io-title" data-testid="run-io">
      <div className="panel-head">
        <h2 id="run-io-title">Input and output</h2>
      </div>
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
    </section>
  );
}
