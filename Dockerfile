# scimbridge: a multi-stage build. The default image holds the production server only
# (built without the `demo` feature, so with no simulator code) and runs as a non-root
# user; the `simulators` stage holds the vendor simulators that the compose file's `demo`
# profile runs. Build: docker build -t scimbridge .
FROM rust:1.95-bookworm AS source
WORKDIR /src
COPY . .

FROM source AS build
RUN cargo build --release --locked -p scimbridge --bin scimbridge

FROM source AS build-simulators
RUN cargo build --release --locked -p simulators --bin scimbridge-sim

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/scimbridge --create-home scimbridge
USER scimbridge
WORKDIR /var/lib/scimbridge

FROM runtime AS simulators
COPY --from=build-simulators /src/target/release/scimbridge-sim /usr/local/bin/
ENTRYPOINT ["scimbridge-sim"]

FROM runtime AS scimbridge
COPY --from=build /src/target/release/scimbridge /usr/local/bin/
ENV SCIMBRIDGE_LISTEN=0.0.0.0:8080 \
    SCIMBRIDGE_DATA_DIR=/var/lib/scimbridge/data
EXPOSE 8080
ENTRYPOINT ["scimbridge"]
CMD ["serve"]
