# cellrig in a container, for the Pi (linux/arm64) and for a lab server (linux/amd64).
# The official Node.js image line for Node 20 on Debian bookworm; Node-RED comes in as a dependency of
# cellrig (package.json), so no Node-RED base image is needed.
#
#   docker build -t cellrig:local .                                  # this machine's architecture
#   docker buildx build --platform linux/arm64 -t cellrig:arm64 --load .   # a Pi image from an x86 host
#   (cross-building needs QEMU's binfmt handlers: docker run --privileged --rm tonistiigi/binfmt --install arm64)
#   docker run -p 1880:1880 -v cellrig-data:/data \
#     -e CELLRIG_ADMIN_USER=admin -e CELLRIG_ADMIN_PASSWORD_HASH='<cellrig hash-password>' cellrig:local

# Build stage: the full image has python3, make and g++, which node-gyp needs to build serialport's
# native binding for the target architecture (the Firmata backend opens the board through it).
FROM node:20-bookworm AS build
WORKDIR /opt/cellrig
# The sources first: `npm ci` runs the install scripts of the native addons and then the project's own
# prepare script, which compiles TypeScript to dist/. --ignore-scripts would leave serialport unbuilt.
COPY . .
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

# Run stage: the slim image of the same Debian release, so the native addons built above load as they are.
FROM node:20-bookworm-slim
WORKDIR /opt/cellrig
COPY --from=build /opt/cellrig/package.json /opt/cellrig/package-lock.json ./
COPY --from=build /opt/cellrig/node_modules ./node_modules
COPY --from=build /opt/cellrig/dist ./dist
COPY --from=build /opt/cellrig/flows ./flows
COPY --from=build /opt/cellrig/examples ./examples
COPY --from=build /opt/cellrig/README.md ./
# `cellrig` on the PATH is a small script that gives `cellrig start` the launcher's V8 flags.
COPY --from=build /opt/cellrig/deploy/docker/cellrig /usr/local/bin/cellrig
# The image's `node` user (uid 1000) runs cellrig; `dialout` lets it open a mapped serial device.
RUN chmod 755 /usr/local/bin/cellrig && mkdir -p /data && chown node:node /data && usermod -a -G dialout node
USER node
# Inside a container the editor must listen beyond loopback, which the launcher allows only with an
# admin login (CELLRIG_ADMIN_USER, CELLRIG_ADMIN_PASSWORD_HASH): without them it refuses to start.
# The embedded MQTT broker (used when MQTT_URL is unset) stays on the container's loopback: only this
# process talks to it, and beyond loopback it would need rig logins (MQTT_USER, MQTT_PASSWORD).
ENV CELLRIG_DATA=/data HOST=0.0.0.0 PORT=1880 MQTT_HOST=127.0.0.1 NODE_ENV=production
VOLUME ["/data"]
EXPOSE 1880
# Asks the launcher's own HTTP server on loopback (dist/bin/healthcheck.js); `cellrig bridge` has no
# HTTP server, so docker-compose.yml gives that service its own check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "/opt/cellrig/dist/bin/healthcheck.js"]
ENTRYPOINT ["cellrig"]
CMD ["start"]
