# syntax=docker/dockerfile:1
# docsync: `docsync serve` (web UI + JSON API) by default; the same image runs
# `docsync worker` and `docsync migrate` (override the command). Node 24 is the current LTS;
# package.json's engines lists every supported version. compose.yaml runs the whole set.
FROM node:24-bookworm-slim AS dependencies
WORKDIR /app
# Native addons (argon2) ship prebuilt binaries; build tools are only a fallback.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    DOCSYNC_ENV=production \
    DOCSYNC_HTTP_HOST=0.0.0.0 \
    DOCSYNC_HTTP_PORT=8080 \
    DOCSYNC_DATA_DIR=/var/lib/docsync/data
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY config ./config
COPY migrations ./migrations
COPY src ./src
RUN mkdir -p /var/lib/docsync && chown -R node:node /var/lib/docsync
USER node
EXPOSE 8080
VOLUME ["/var/lib/docsync"]
# serve answers /healthz; a worker has no port: compose.yaml gives workers their own check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.DOCSYNC_HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/docsync.js"]
CMD ["serve"]
