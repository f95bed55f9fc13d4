# scimbridge: a multi-stage build. The runtime image holds the two binaries (the server and
# the vendor simulators used by the compose file's `demo` profile) and runs as a non-root
# user. Build: docker build -t scimbridge .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p scimbridge -p simulators --bins

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/scimbridge --create-home scimbridge
COPY --from=build /src/target/release/scimbridge /src/target/release/scimbridge-sim /usr/local/bin/
USER scimbridge
WORKDIR /var/lib/scimbridge
ENV SCIMBRIDGE_LISTEN=0.0.0.0:8080 \
    SCIMBRIDGE_DATA_DIR=/var/lib/scimbridge/data
EXPOSE 8080
ENTRYPOINT ["scimbridge"]
CMD ["serve"]
