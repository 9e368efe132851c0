# syntax=docker/dockerfile:1

# Build: install everything, compile, then drop dev dependencies.
# Both stages use the same glibc base, so the prebuilt native modules
# (@node-rs/argon2, @node-rs/bcrypt) installed here run unchanged below.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts are needed: native modules come prebuilt as optional
# dependencies, and skipping scripts also skips install-time telemetry.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Runtime: compiled app and production dependencies only, run as `node`.
# The files stay owned by root, so the process cannot modify its own code.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# Slim images have no curl; Node's fetch does the check.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `npm run migration:run` (also in this image) applies migrations from dist/migrations.
CMD ["node", "dist/src/main.js"]
