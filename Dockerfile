# Cairn in a container: `cairn serve` by default; `cairn worker …` with arguments.
#   docker build -t cairn .
#   docker run --rm -p 7420:7420 -e CAIRN_DB=postgres://… cairn serve --workflows /app/examples
# deploy/compose.yaml runs PostgreSQL, one server and two workers. docs/operations.md explains it.

# Build: every dependency (TypeScript, Vite), then the package and the web UI.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
RUN npm run build

# Runtime dependencies only, with better-sqlite3's native module for this platform.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm rebuild better-sqlite3 && npm cache clean --force

# Run: no compiler, no sources, no npm cache; a non-root user; state under /data.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    CAIRN_HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/web/dist ./web/dist
COPY package.json ./
COPY bin ./bin
COPY examples ./examples
COPY deploy/docker-entrypoint.sh ./deploy/docker-entrypoint.sh
RUN mkdir /data && chown node:node /data
USER node
WORKDIR /data
VOLUME ["/data"]
EXPOSE 7420
ENTRYPOINT ["/app/deploy/docker-entrypoint.sh"]
CMD ["serve"]
