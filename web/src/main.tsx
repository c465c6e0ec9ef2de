import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "@xyflow/react/dist/style.css";
// Order matters: phone.css overrides the others at narrow widths.
import "./styles/base.css";
import "./styles/status.css";
import "./styles/pages.css";
import "./styles/run.css";
import "./styles/graph.css";
import "./styles/timeline.css";
import "./styles/overlays.css";
import "./styles/workflows.css";
import "./styles/items.css";
import "./styles/files.css";
import "./styles/phone.css";
import { App } from "./app";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
