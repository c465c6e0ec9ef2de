import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run build:web` builds the UI into web/dist, which `cairn serve` serves at `/`. Asset paths are
// relative (base "./"), so the UI also works behind a reverse proxy that mounts it under a prefix.
// `npx vite --config web/vite.config.ts` serves it with hot reload, passing /api to a running
// `cairn serve` (CAIRN_API, default http://127.0.0.1:7420).
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  plugins: [react()],
  server: {
    proxy: { "/api": process.env.CAIRN_API ?? "http://127.0.0.1:7420" },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // One bundle served by the same process that serves the API (no CDN): React Flow and React
    // make it ~510 kB (~160 kB gzipped), over Vite's default 500 kB warning.
    chunkSizeWarningLimit: 1024,
  },
});
