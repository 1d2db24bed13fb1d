# A stand-in for the official redis:7 image, from Debian's redis-server 7, for machines that cannot pull
# images (deploy/build-base-image.sh builds it as redis:7): redis-server and redis-cli on PATH, data in
# /data, port 6379, and, as in the official image, protected mode off so that other containers reach it.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && mkdir -p /data && chown redis:redis /data
COPY redis-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /data
WORKDIR /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
