# A stand-in for the official postgres:15 image, from Debian's postgresql-15, for machines that cannot
# pull images (deploy/build-base-image.sh builds it as postgres:15). It keeps the part of the official
# image's contract that docker-compose.yml relies on: POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB
# on first start, data in /var/lib/postgresql/data, port 5432, pg_isready on PATH.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/lib/postgresql/15 /etc/postgresql/15/main \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
EXPOSE 5432
# Fast shutdown, as the official image asks for with SIGINT.
STOPSIGNAL SIGINT
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
