# streamtrain container image: a Maven build stage and a slim runtime stage.
#
#   docker build -t streamtrain:0.1.0-cpu .                            # CPU natives (default)
#   docker build --build-arg VARIANT=cuda -t streamtrain:0.1.0-cuda .  # mvn -Pcuda, CUDA 12.4 base
#
# Without a container registry (deploy/local-images.sh does this with Podman): the jar that
# `mvn package` built on the host instead of the Maven stage, on a local base with Java 17.
# Podman 4.3 resolves the stages named through VARIANT and JAR_FROM only when both are passed:
#   podman build --build-arg VARIANT=cpu --build-arg JAR_FROM=host \
#     --build-arg RUNTIME_BASE=localhost/streamtrain-base:bookworm-jre17 -t streamtrain:0.1.0-cpu .
#
# VARIANT selects both the Maven profile and the runtime base. Build with BuildKit (the default
# since Docker 23) or Podman: they build only the stages the final one needs.
ARG VARIANT=cpu
# build: the Maven stage below compiles the jar (needs Maven Central and the Maven image);
# host: target/streamtrain.jar as `mvn package` left it.
ARG JAR_FROM=build
ARG BUILD_BASE=maven:3.9-eclipse-temurin-17
# Any Debian/Ubuntu image with a Java 17 runtime on the PATH, bash, and groupadd/useradd.
ARG RUNTIME_BASE=eclipse-temurin:17-jre

FROM ${BUILD_BASE} AS jar-build
ARG VARIANT
WORKDIR /src
# Dependencies first, in their own layer, so source edits do not re-download PyTorch's natives.
COPY pom.xml ./
COPY schemas ./schemas
RUN case "$VARIANT" in \
      cpu) profile="" ;; \
      cuda) profile="-Pcuda" ;; \
      *) echo "VARIANT must be cpu or cuda, got '$VARIANT'" >&2; exit 1 ;; \
    esac \
 && mvn -B -q $profile dependency:go-offline
COPY src/main ./src/main
RUN case "$VARIANT" in cuda) profile="-Pcuda" ;; *) profile="" ;; esac \
 && mvn -B $profile -Dmaven.test.skip=true package \
 && test -f target/streamtrain.jar

# The host's jar carries the natives of the profile it was built with: -Pcuda for VARIANT=cuda.
FROM scratch AS jar-host
COPY target/streamtrain.jar /src/target/streamtrain.jar

FROM jar-${JAR_FROM} AS jar

FROM ${RUNTIME_BASE} AS runtime-cpu

# PyTorch 2.5.1 cu124 needs the CUDA 12.4 runtime and an NVIDIA driver on the host
# (NVIDIA Container Toolkit); the JRE comes from the same Temurin image as the CPU variant.
FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04 AS runtime-cuda
ENV JAVA_HOME=/opt/java/openjdk
ENV PATH="${JAVA_HOME}/bin:${PATH}"
COPY --from=eclipse-temurin:17-jre /opt/java/openjdk /opt/java/openjdk

FROM runtime-${VARIANT} AS runtime
ARG VARIANT
LABEL org.opencontainers.image.title="streamtrain" \
      org.opencontainers.image.description="Online neural-network training from Kafka" \
      io.streamtrain.variant="${VARIANT}"
# A fixed numeric uid so Kubernetes' runAsNonRoot can verify it without /etc/passwd.
RUN groupadd --system --gid 10001 streamtrain \
 && useradd --system --uid 10001 --gid streamtrain --home-dir /var/lib/streamtrain \
      --shell /usr/sbin/nologin streamtrain \
 && mkdir -p /app /var/lib/streamtrain/djl /etc/streamtrain \
 && chown -R streamtrain:streamtrain /var/lib/streamtrain
COPY --from=jar /src/target/streamtrain.jar /app/streamtrain.jar
# DJL extracts the PyTorch natives from the jar on first start; it needs a writable cache.
ENV DJL_CACHE_DIR=/var/lib/streamtrain/djl \
    ENGINE_CACHE_DIR=/var/lib/streamtrain/djl \
    HOME=/var/lib/streamtrain
WORKDIR /var/lib/streamtrain
USER 10001:10001
EXPOSE 9404
# The JVM is PID 1 (exec form), so SIGTERM reaches its shutdown hooks: the trainer writes its
# final snapshot there. Give it time: compose stop_grace_period, k8s terminationGracePeriodSeconds.
STOPSIGNAL SIGTERM
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-Dai.djl.offline=true", "-jar", "/app/streamtrain.jar"]
CMD ["--help"]
