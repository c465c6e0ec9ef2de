import { Component, type ReactNode } from "react";

/** A page that throws shows what went wrong and a way back, instead of a blank screen. */
export class ErrorBoundary extends Component<
  { children: ReactNode; resetKey: string },
  { error: Error | null }
> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidUpdate(previous: { resetKey: string }) {
    // Moving to another page clears the error.
    if (previous.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <main id="main" className="page crash">
        <h1>This page failed</h1>
        <p className="field-error" role="alert">
          {this.state.error.message}
        </p>
        <p>
          <a href="#/runs">Back to the runs</a> or{" "}
          <button type="button" className="button" onClick={() => window.location.reload()}>
            reload
          </button>
        </p>
      </main>
    );
  }
}
