# syntax=docker/dockerfile:1
# zaby-server and the `zaby` command in a small image that runs as an unprivileged user.
# Build: docker build -t zaby-server .   Run: see docs/container.md (it also says what
# was and was not checked: no Docker engine is available where this project is built).

# --- build: release binaries from this tree, with the locked dependencies -------------
# Rust 1.94 or newer is needed (sqlx 0.9); the pin follows the toolchain the tests use.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The registry and target caches stay on the builder between builds; the binaries are
# copied out of the cache mount, which is not part of the layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p zaby-server -p zaby-cli \
    && install -D -m 0755 target/release/zaby-server target/release/zaby -t /out/

# --- run ------------------------------------------------------------------------------
FROM debian:bookworm-slim
# ca-certificates: HTTPS to model providers and MCP servers; curl: the health check.
# Versions are left to the bookworm release, which only takes security fixes.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 zaby \
    && useradd --system --uid 10001 --gid zaby --home-dir /var/lib/zaby --create-home zaby
COPY --from=build /out/zaby-server /out/zaby /usr/local/bin/
COPY LICENSE README.md /usr/share/doc/zaby/

# Everything the server writes (SQLite database, dev-api-key, secrets.key) goes to one
# volume owned by the zaby user; point ZABY_DATABASE_URL at PostgreSQL to keep only the
# state files there.
ENV ZABY_LISTEN=0.0.0.0:9080 \
    ZABY_STATE_DIR=/var/lib/zaby \
    ZABY_DATABASE_URL=sqlite:///var/lib/zaby/zaby.db \
    ZABY_LOG_FORMAT=json
# Numeric, so a runtime that checks for a non-root user can tell without /etc/passwd.
USER 10001:10001
WORKDIR /var/lib/zaby
VOLUME ["/var/lib/zaby"]
EXPOSE 9080

# /ready is 200 only when the database answers and has every migration. With TLS set
# (ZABY_TLS_CERT/KEY) the check must speak https: override it (docs/container.md).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["sh", "-c", "curl -fsS -o /dev/null http://127.0.0.1:9080/ready || exit 1"]

ENTRYPOINT ["zaby-server"]
CMD ["serve"]
