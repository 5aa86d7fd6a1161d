# The swarm-canary CLI as an image; it also runs the xDS control plane (`edge ensure --delivery xds`).
#   mvn -q -DskipTests package
#   docker build -t swarm-canary/cli:latest .                                  # on a public JRE 17+
#   docker build --build-arg BASE=swarm-canary/jre:latest -t swarm-canary/cli:latest .   # test bed: no registry
#   docker run --rm -v /var/run/docker.sock:/var/run/docker.sock swarm-canary/cli:latest status
# BASE needs `java` on its PATH; the test bed's base is a jlink'ed JRE FROM scratch (testbed/images/jre).
ARG BASE=eclipse-temurin:17-jre
FROM ${BASE}
COPY target/swarm-canary.jar /opt/swarm-canary/swarm-canary.jar
# the control plane is a long-lived JVM in a small container: heap sized by the container's memory, one GC thread
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=50", "-XX:+UseSerialGC", "-jar", "/opt/swarm-canary/swarm-canary.jar"]
CMD ["--help"]
