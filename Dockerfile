# cellrig for the Pi (linux/arm64; builds for amd64 too), on the official Node-RED image line for
# Node 20 / Node-RED 4.1. The steps are the README's: npm ci, build, then `cellrig start`.
#   docker buildx build --platform linux/arm64 -t cellrig:local .
#   docker run -p 1880:1880 -v cellrig-data:/data \
#     -e CELLRIG_ADMIN_USER=admin -e CELLRIG_ADMIN_PASSWORD_HASH='<cellrig hash-password>' cellrig:local

FROM nodered/node-red:4.1-20 AS build
USER root
WORKDIR /opt/cellrig
COPY package.json package-lock.json ./
COPY scripts ./scripts
# Install scripts are skipped: the prepare script needs the sources, copied next.
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM nodered/node-red:4.1-20
USER root
WORKDIR /opt/cellrig
COPY --from=build /opt/cellrig/package.json /opt/cellrig/package-lock.json ./
COPY --from=build /opt/cellrig/node_modules ./node_modules
COPY --from=build /opt/cellrig/dist ./dist
COPY --from=build /opt/cellrig/flows ./flows
COPY --from=build /opt/cellrig/examples ./examples
COPY --from=build /opt/cellrig/README.md ./
RUN ln -s /opt/cellrig/dist/bin/cellrig.js /usr/local/bin/cellrig && chmod +x dist/bin/cellrig.js \
  && mkdir -p /data && chown -R node-red:node-red /data
USER node-red
# Inside a container the editor must listen beyond loopback, which the launcher allows only with an
# admin login (CELLRIG_ADMIN_USER, CELLRIG_ADMIN_PASSWORD_HASH): without them it refuses to start.
ENV CELLRIG_DATA=/data HOST=0.0.0.0 PORT=1880 NODE_ENV=production
VOLUME ["/data"]
EXPOSE 1880
ENTRYPOINT ["cellrig"]
CMD ["start"]
