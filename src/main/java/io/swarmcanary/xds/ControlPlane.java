package io.swarmcanary.xds;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.swarmcanary.envoy.EdgeRoutes;
import io.swarmcanary.envoy.ReleaseRoute;
import io.swarmcanary.envoy.XdsConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The xDS control plane of one edge: reads the edge's route table and releases from the cluster (at once on a change
 * event or {@code POST /refresh}, and every {@code resync} as a safety net), where their tasks run every
 * {@code interval} (Swarm sends no event for a task), serves them over ADS (java-control-plane's SimpleCache, CDS, EDS,
 * RDS, SDS) and tracks what every Envoy has ACKed or NACKed ({@code GET /status}).
 *
 * <p>It holds no state of its own: versions are derived from content, so a restarted control plane
 * offers Envoy exactly the versions it already has, and Envoy sees no change.
 */
public final class ControlPlane implements AutoCloseable {
    private static final String NODE_GROUP = "edge"; // every Envoy of the edge gets the same config
    private static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    private static final String RDS = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
    private static final String SDS = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";
    private static final Context.Key<SocketAddress> PEER = Context.key("swarm-canary-peer");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** POST /refresh: the routes version the caller waits for (see {@link #refresh(String)}). */
    public static final String WANTED_ROUTES_HEADER = "X-Swarm-Canary-Routes";
    /** Envoy's stats host is its only client; a few threads are plenty, and each request is time-bounded. */
    static final int HTTP_THREADS = 8;
    /** Status requests held until the status changes ({@code Prefer: wait}): at most half the threads, at most this long. */
    static final int MAX_STATUS_WAITERS = HTTP_THREADS / 2;
    static final Duration MAX_STATUS_WAIT = Duration.ofSeconds(2);
    private static final java.util.regex.Pattern PREFER_WAIT = java.util.regex.Pattern.compile("(?:^|[,;\\s])wait=\"?([0-9]{1,6})\"?");

    private final String edge;
    private final Source source;
    private final PrintStream log;
    private final XdsConfig xds = new XdsConfig();
    private final SimpleCache<String> cache = new SimpleCache<>(node -> NODE_GROUP);
    private final Map<Long, Stream> streams = new ConcurrentHashMap<>();
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "edge-poller");
        t.setDaemon(true);
        return t;
    });
    private Server grpc;
    private HttpServer http;
    /** What is served now, one field: a status never pairs one read's routes with another read's labels. */
    private volatile Serving serving = new Serving(null, null, null, null);

    /**
     * @param labelled the edge's revision label the served config was made from. The routes' version is the config's
     *                 own hash: a release created or removed since that label was written changes it, not the label
     */
    private record Serving(String routes, String clusters, String endpoints, String labelled) {}
    /** Why the last read failed, or null; one field, so a status never pairs one failure's reason with another's revision. */
    private volatile ReadFailure readFailure;

    /** @param refusedRevision the edge's revision when its config was refused (invalid as rendered here), else null */
    private record ReadFailure(String message, String refusedRevision) {}
    /** The edge's certificates (SDS), read once from the files this task was started with; they never change in it. */
    private volatile List<io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret> secrets = List.of();
    private volatile String secretsVersion;
    private volatile long lastReadStarted = System.nanoTime() - TimeUnit.DAYS.toNanos(1); // written under this' lock
    /** Set by a change event, cleared when a whole read starts: an event during a read brings another. */
    private volatile boolean wholeReadDue = true;
    private final java.util.concurrent.atomic.AtomicBoolean readQueued = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile Duration resync = Duration.ZERO;
    private volatile Duration interval = Duration.ofSeconds(1);
    /** Whether a stream of the engine's events is open: until then, and whenever it is not, every tick reads it all. */
    private volatile boolean followingEvents;
    /** Counts the changes of what {@link #status()} says; status requests waiting for a change wait on it. */
    private final Object statusChanges = new Object();
    private long statusGeneration; // guarded by statusChanges
    private final java.util.concurrent.atomic.AtomicInteger statusWaiters = new java.util.concurrent.atomic.AtomicInteger();

    /** One Envoy's ADS stream; fields are written by gRPC threads, read by the status endpoint. */
    private static final class Stream {
        final long id;
        final Instant connectedAt = Instant.now();
        volatile String address;
        volatile String node;
        volatile String routes;
        volatile String clusters;
        volatile String secrets;
        volatile String nack;

        Stream(long id) {
            this.id = id;
        }
    }

    /**
     * What the control plane serves, as the edge's planner renders it: the routes, the full config and its revision.
     * The edge hands it over, so this package needs nothing of the edge's (no package cycle).
     */
    public record Served(EdgeRoutes routes, io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap config, String revision,
                         Map<String, List<String>> taskAddresses, String labelled) {
        /** From the config's YAML (parsed here), made from the labels of this revision. */
        public Served(EdgeRoutes routes, String yaml, String revision, Map<String, List<String>> taskAddresses) {
            this(routes, XdsConfig.bootstrapOf(yaml), revision, taskAddresses, revision);
        }
    }

    /**
     * Reads the edge: {@code whole}, its route table, releases and keys and where their tasks run; otherwise only where
     * the tasks run, the rest as the last whole read found it (the first read is always whole).
     */
    public interface Source {
        Served read(boolean whole);
    }

    /**
     * What a {@link Source} throws when the edge's config, as this control plane renders it, is not valid: the edge's
     * revision is named, so the CLI that wrote it fails at once and puts its change back instead of waiting out its
     * timeout (a CLI and a control plane of different builds can disagree; the edge must not stay refused for everyone).
     */
    public static final class Refused extends RuntimeException {
        private final String revision;

        public Refused(String revision, String message) {
            this(revision, message, null);
        }

        public Refused(String revision, String message, Throwable cause) {
            super(message, cause);
            // labels without a revision name none: the status then says it cannot read the edge, not "refuses revision "
            this.revision = revision == null || revision.isBlank() ? null : revision;
        }

        /** The refused revision, or null when the labels carry none. */
        public String revision() {
            return revision;
        }
    }

    /** Reads the whole edge every time. */
    public ControlPlane(String edge, Supplier<Served> source, PrintStream log) {
        this(edge, whole -> source.get(), log);
    }

    public ControlPlane(String edge, Source source, PrintStream log) {
        this.edge = edge;
        this.source = source;
        this.log = log;
    }

    /**
     * Mutual TLS on ADS: the control plane's certificate and key, and the edge's ADS CA, whose certificates alone are
     * accepted, and of those only the one naming {@code clientIdentity} (a URI SAN): the edge's Envoys.
     */
    public record Tls(java.io.File ca, java.io.File cert, java.io.File key, String clientIdentity) {}

    /**
     * Serves these certificates over SDS (with every snapshot), under names that stay across rotations; called before
     * {@link #start}. A rotation is a new task of the control plane with other files, hence another version.
     *
     * @param version what the CLI expects Envoy to ACK: made of the secrets' names, never of a key
     */
    public void serveCertificates(List<io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret> secrets, String version) {
        this.secrets = List.copyOf(secrets);
        this.secretsVersion = secrets.isEmpty() ? null : version;
        // names only: the resources hold the keys
        log.println("serving certificates over SDS: " + secrets.stream().map(
                io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret::getName).toList() + " (version " + version + ")");
    }

    /** Reads the edge once, then starts serving ADS (plaintext) on {@code grpcPort} and the status on {@code statusPort}. */
    public void start(int grpcPort, int statusPort, Duration interval) throws IOException {
        start(grpcPort, statusPort, interval, null);
    }

    /** Reads the whole edge every {@code interval}. @param tls mutual TLS on ADS; null for plaintext (by hand, to debug) */
    public void start(int grpcPort, int statusPort, Duration interval, Tls tls) throws IOException {
        start(grpcPort, statusPort, interval, interval, tls);
    }

    /**
     * @param interval how often where the releases' tasks run is read
     * @param resync   how often the whole edge is read without a {@link #changed()} (a safety net for a missed event)
     */
    public void start(int grpcPort, int statusPort, Duration interval, Duration resync, Tls tls) throws IOException {
        this.resync = resync;
        this.interval = interval;
        refresh();
        V3DiscoveryServer server = new V3DiscoveryServer(new AckTracker(), cache);
        ServerInterceptor peer = new ServerInterceptor() {
            @Override
            public <Q, A> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, A> call, io.grpc.Metadata headers,
                                                                       io.grpc.ServerCallHandler<Q, A> next) {
                SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
                if (tls != null && !identified(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION), tls.clientIdentity())) {
                    log.println("refused an ADS call from " + remote + ": its certificate does not name " + tls.clientIdentity());
                    call.close(io.grpc.Status.UNAUTHENTICATED.withDescription("not an Envoy of this edge"), new io.grpc.Metadata());
                    return new io.grpc.ServerCall.Listener<>() {};
                }
                return Contexts.interceptCall(Context.current().withValue(PEER, remote), call, headers, next);
            }
        };
        NettyServerBuilder builder = limited(NettyServerBuilder.forPort(grpcPort));
        if (tls != null) {
            builder.sslContext(sslContext(tls));
        }
        grpc = builder
                .addService(ServerInterceptors.intercept(server.getAggregatedDiscoveryServiceImpl(), peer))
                .build().start();
        boundHttpServers();
        http = HttpServer.create(new InetSocketAddress(statusPort), 16);
        http.createContext("/status", this::respondStatus);
        http.createContext("/refresh", exchange -> {
            if (!"POST".equals(exchange.getRequestMethod())) {
                exchange.sendResponseHeaders(405, -1);
                exchange.close();
                return;
            }
            respond(exchange, refresh(exchange.getRequestHeaders().getFirst(WANTED_ROUTES_HEADER)));
        });
        http.setExecutor(Executors.newFixedThreadPool(HTTP_THREADS));
        http.start();
        poller.scheduleWithFixedDelay(this::tickQuietly, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        log.println("control plane for edge " + edge + ": ADS on :" + grpcPort + (tls == null ? " (plaintext)"
                : " (mutual TLS: clients " + tls.clientIdentity() + " of the CA in " + tls.ca() + ")") + ", status on :" + statusPort
                + ", reading the edge's tasks every " + interval.toMillis() + " ms"
                + (resync.equals(interval) ? "" : ", the whole edge on a change and every " + resync.toMillis() + " ms"));
    }

    /**
     * TLS 1.2 and up, ALPN h2 (gRPC's defaults), a client certificate required and checked against the edge's ADS CA
     * alone (not the JDK's trust store). A file that cannot be read fails the start, before any port opens.
     */
    static io.grpc.netty.shaded.io.netty.handler.ssl.SslContext sslContext(Tls tls) throws IOException {
        try {
            return io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.forServer(tls.cert(), tls.key())
                    .trustManager(tls.ca())
                    .clientAuth(io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth.REQUIRE)
                    .protocols("TLSv1.3", "TLSv1.2")
                    .build();
        } catch (IllegalArgumentException | javax.net.ssl.SSLException e) {
            // Netty's message names the file, never its content
            throw new IOException("cannot read the ADS certificate, key or CA (" + tls.cert() + ", " + tls.key() + ", "
                    + tls.ca() + "): " + e.getMessage(), e);
        }
    }

    /** Whether the TLS peer's certificate (the CA is checked by the handshake) carries this URI SAN. */
    static boolean identified(javax.net.ssl.SSLSession session, String identity) {
        try {
            if (session == null || session.getPeerCertificates().length == 0
                    || !(session.getPeerCertificates()[0] instanceof java.security.cert.X509Certificate cert)
                    || cert.getSubjectAlternativeNames() == null) {
                return false;
            }
            return cert.getSubjectAlternativeNames().stream()
                    .anyMatch(san -> Integer.valueOf(6).equals(san.get(0)) && identity.equals(san.get(1)));
        } catch (javax.net.ssl.SSLPeerUnverifiedException | java.security.cert.CertificateParsingException e) {
            return false;
        }
    }

    /**
     * The ADS server's limits. Envoy opens one connection with one ADS stream; anything beyond that is not an Envoy of
     * this edge (which is also alone on the network with it).
     */
    static NettyServerBuilder limited(NettyServerBuilder builder) {
        return builder
                // Envoy pings the long-lived stream (bootstrap: every 10s); the default would answer GOAWAY
                .permitKeepAliveTime(5, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true)
                // a peer that stops answering our pings is dropped, and so is a connection without any call
                .keepAliveTime(30, TimeUnit.SECONDS)
                .keepAliveTimeout(10, TimeUnit.SECONDS)
                .maxConnectionIdle(1, TimeUnit.MINUTES)
                .handshakeTimeout(10, TimeUnit.SECONDS)
                .maxConcurrentCallsPerConnection(4)
                // an ACK/NACK is small; a NACK's error text is the largest part
                .maxInboundMessageSize(1024 * 1024)
                .maxInboundMetadataSize(16 * 1024)
                // HTTP/2 "rapid reset" (CVE-2023-44487): at most 100 RST_STREAMs in 10s, then GOAWAY
                .maxRstFramesPerWindow(100, 10);
    }

    /**
     * Bounds the JDK HTTP server of the status endpoint: a client holding half a request (or a response it does not
     * read) is cut off after a few seconds instead of holding one of its threads for ever, and connections are capped.
     * The JDK reads these once, when its first server starts; a value set on the command line wins.
     */
    static void boundHttpServers() {
        Map<String, String> limits = Map.of(
                "sun.net.httpserver.maxReqTime", "5", // seconds for the whole request
                "sun.net.httpserver.maxRspTime", "5",
                "sun.net.httpserver.idleInterval", "30",
                "sun.net.httpserver.maxIdleConnections", "16",
                "sun.net.httpserver.maxReqHeaders", "32",
                "sun.net.httpserver.maxReqHeaderSize", "16384",
                "jdk.httpserver.maxConnections", "64");
        limits.forEach((key, value) -> {
            if (System.getProperty(key) == null) {
                System.setProperty(key, value);
            }
        });
    }

    /**
     * Re-reads the edge; a new route table or release set becomes a new snapshot. Callers that wait while another read
     * runs are answered by the next read to start after they asked, not by one read each: many pipelines waiting on
     * shifts cost one read of the cluster at a time.
     */
    public XdsStatus refresh() {
        return refresh(null);
    }

    /**
     * As {@link #refresh()}, for a caller that wrote the edge and waits for these routes: when the read that held this
     * one up (the write's own event) already serves them, no read more. Unknown or other routes: a read, as always.
     */
    public XdsStatus refresh(String wantedRoutes) {
        long asked = System.nanoTime();
        synchronized (this) {
            Serving now = serving;
            if (lastReadStarted - asked > 0
                    || (wantedRoutes != null && (wantedRoutes.equals(now.routes()) || wantedRoutes.equals(now.labelled())))) {
                return status();
            }
            read(true);
        }
        return status();
    }

    /**
     * Something the edge is made of may have changed (a change event of the cluster): the whole edge is read on the
     * poller's thread, at once, or half an interval after the last whole read began (a busy swarm's stream of events
     * costs at most two whole reads an interval). Events that come while a read waits to start make no more reads.
     */
    public void changed() {
        wholeReadDue = true;
        if (readQueued.compareAndSet(false, true)) {
            long wait = Math.max(0, lastReadStarted + interval.toNanos() / 2 - System.nanoTime());
            try {
                poller.schedule(() -> {
                    readQueued.set(false);
                    tickQuietly();
                }, wait, TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                readQueued.set(false);
            }
        }
    }

    /**
     * Whether the engine's events reach this control plane now (an event stream is open). While they do not, every tick
     * reads the whole edge, as if each tick were an event: a change is never left for the resync.
     */
    public void followingEvents(boolean following) {
        followingEvents = following;
        statusChanged();
        if (following) {
            changed(); // whatever happened while no stream was open
        }
    }

    /** The poller's read: the whole edge when a change asked for it, events do not reach us, or resync has passed. */
    private void tick() {
        synchronized (this) {
            boolean whole = wholeReadDue || !followingEvents || System.nanoTime() - lastReadStarted >= resync.toNanos();
            read(whole);
        }
    }

    /** guarded by this */
    private void read(boolean whole) {
        if (whole) {
            lastReadStarted = System.nanoTime();
            wholeReadDue = false;
        }
        try {
            Served plan = source.read(whole);
            List<String> services = plan.routes().tracks().stream()
                    .flatMap(t -> java.util.stream.Stream.concat(t.releases().stream().map(ReleaseRoute::service),
                            t.aliasClusters().stream()))
                    .toList();
            XdsConfig.Resources resources = xds.resources(plan.config(), services, plan.revision(), plan.taskAddresses());
            Serving before = serving;
            boolean routesOrClusters = !resources.routesVersion().equals(before.routes())
                    || !resources.clustersVersion().equals(before.clusters());
            boolean endpoints = !resources.endpointsVersion().equals(before.endpoints());
            if (routesOrClusters || endpoints) {
                // clusters, endpoints and routes in one snapshot; ADS lets Envoy apply CDS and EDS before the RDS that
                // names new clusters. Each type has its own version: Envoy is sent only the types that changed.
                cache.setSnapshot(NODE_GROUP, Snapshot.create(resources.clusters(), resources.clustersVersion(),
                        resources.endpoints(), resources.endpointsVersion(), List.of(), "",
                        resources.routeConfigs(), resources.routesVersion(), secrets,
                        secretsVersion == null ? "" : secretsVersion));
                if (routesOrClusters) {
                    log.println("serving routes " + resources.routesVersion() + ", clusters " + resources.clustersVersion()
                            + " (" + resources.clusters().size() + " release clusters)");
                }
                if (endpoints) {
                    log.println("serving endpoints " + resources.endpointsVersion() + ": " + resources.endpoints().stream()
                            .map(e -> e.getClusterName() + "=" + e.getEndpoints(0).getLbEndpointsCount()).toList());
                }
            }
            serving = new Serving(resources.routesVersion(), resources.clustersVersion(), resources.endpointsVersion(),
                    plan.labelled());
            if (readFailure != null) {
                log.println("reading edge " + edge + " works again");
            }
            readFailure = null;
        } catch (RuntimeException e) {
            if (whole) {
                wholeReadDue = true; // a whole read that failed is tried again at the next tick
            }
            String message = String.valueOf(e.getMessage());
            ReadFailure before = readFailure;
            if (before == null || !message.equals(before.message())) {
                log.println("cannot read edge " + edge + " (Envoy keeps the last config served): " + message);
            }
            readFailure = new ReadFailure(message, e instanceof Refused refused ? refused.revision() : null);
        } finally {
            statusChanged(); // versions or the read error may have changed
        }
    }

    private void tickQuietly() {
        try {
            tick();
        } catch (Throwable t) {
            log.println("refresh failed: " + t); // never let the schedule die
        }
    }

    public XdsStatus status() {
        List<XdsStatus.Envoy> envoys = new ArrayList<>();
        streams.values().stream().sorted(Comparator.comparingLong(s -> s.id)).forEach(s -> envoys.add(new XdsStatus.Envoy(
                s.id, s.address, s.node, s.connectedAt.toString(), s.routes, s.clusters, s.nack, s.secrets)));
        ReadFailure failure = readFailure;
        Serving now = serving;
        return new XdsStatus(edge, now.routes(), now.clusters(), failure == null ? null : failure.message(), envoys,
                io.swarmcanary.ProductVersion.current(), secretsVersion, followingEvents,
                failure == null ? null : failure.refusedRevision(), now.labelled());
    }

    private static void respond(HttpExchange exchange, XdsStatus status) throws IOException {
        respond(exchange, JSON.writeValueAsBytes(status));
    }

    private static void respond(HttpExchange exchange, byte[] body) throws IOException {
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.getResponseHeaders().add("ETag", etag(body));
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /**
     * GET /status. A client that waits for a change (an Envoy's ACK) sends the ETag of the status it saw as
     * {@code If-None-Match} and {@code Prefer: wait=N} (RFC 7240): the answer comes once the status differs from it, or
     * after N seconds (at most {@link #MAX_STATUS_WAIT}) as it is; a notification instead of polling.
     */
    private void respondStatus(HttpExchange exchange) throws IOException {
        String seen = exchange.getRequestHeaders().getFirst("If-None-Match");
        Duration wait = preferredWait(exchange.getRequestHeaders().getFirst("Prefer"));
        try {
            respond(exchange, seen == null || wait.isZero() ? JSON.writeValueAsBytes(status()) : statusOtherThan(seen, wait));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        }
    }

    /** The status as JSON once its ETag is not {@code seen}, or when {@code wait} is over; too many waiting: at once. */
    byte[] statusOtherThan(String seen, Duration wait) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        if (statusWaiters.incrementAndGet() > MAX_STATUS_WAITERS) {
            statusWaiters.decrementAndGet();
            return JSON.writeValueAsBytes(status());
        }
        String tag = seen.startsWith("W/") ? seen.substring(2) : seen; // a weak tag names the same status
        try {
            while (true) {
                long generation;
                synchronized (statusChanges) {
                    generation = statusGeneration;
                }
                byte[] body = JSON.writeValueAsBytes(status());
                long left = deadline - System.nanoTime();
                if (!etag(body).equals(tag) || left <= 0) {
                    return body;
                }
                synchronized (statusChanges) {
                    if (statusGeneration == generation) { // nothing changed since the status above was made
                        TimeUnit.NANOSECONDS.timedWait(statusChanges, left);
                    }
                }
            }
        } finally {
            statusWaiters.decrementAndGet();
        }
    }

    /** How many status requests wait for a change now. */
    int statusWaiters() {
        return statusWaiters.get();
    }

    private void statusChanged() {
        synchronized (statusChanges) {
            statusGeneration++;
            statusChanges.notifyAll();
        }
    }

    /** {@code Prefer: wait=N} (RFC 7240), N seconds, capped; zero when absent or malformed. */
    static Duration preferredWait(String prefer) {
        if (prefer == null) {
            return Duration.ZERO;
        }
        java.util.regex.Matcher m = PREFER_WAIT.matcher(prefer);
        if (!m.find()) {
            return Duration.ZERO;
        }
        Duration asked = Duration.ofSeconds(Long.parseLong(m.group(1)));
        return asked.compareTo(MAX_STATUS_WAIT) > 0 ? MAX_STATUS_WAIT : asked;
    }

    /** A strong ETag of a status body: the status is the same exactly when its JSON is. */
    static String etag(byte[] body) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(body);
            return "\"" + java.util.HexFormat.of().formatHex(digest, 0, 12) + "\"";
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits for SIGTERM (docker service update/rm): then stops taking streams and lets Envoy reconnect. */
    public void awaitTermination() throws InterruptedException {
        grpc.awaitTermination();
    }

    @Override
    public void close() {
        poller.shutdownNow();
        if (http != null) {
            http.stop(0);
        }
        if (grpc != null) {
            grpc.shutdown();
            try {
                if (!grpc.awaitTermination(2, TimeUnit.SECONDS)) {
                    grpc.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                grpc.shutdownNow();
            }
        }
    }

    /** Keeps, per ADS stream, the versions Envoy reports as applied and its last rejection. */
    private final class AckTracker implements DiscoveryServerCallbacks {
        @Override
        public void onStreamOpen(long streamId, String typeUrl) {
            Stream s = new Stream(streamId);
            s.address = address(PEER.get());
            streams.put(streamId, s);
            log.println("Envoy connected: stream " + streamId + " from " + s.address);
            statusChanged();
        }

        @Override
        public void onStreamClose(long streamId, String typeUrl) {
            closed(streamId, "closed");
        }

        @Override
        public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
            closed(streamId, "closed: " + error.getMessage());
        }

        private void closed(long streamId, String why) {
            Stream s = streams.remove(streamId);
            log.println("Envoy disconnected: stream " + streamId + (s == null ? "" : " from " + s.address) + " " + why);
            statusChanged();
        }

        @Override
        public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
            Stream s = streams.computeIfAbsent(streamId, Stream::new);
            if (s.address == null) {
                s.address = address(PEER.get());
            }
            if (request.hasNode() && !request.getNode().getId().isEmpty()) {
                s.node = request.getNode().getId();
            }
            // version_info is always the last version Envoy applied; error_detail marks a rejection
            String version = request.getVersionInfo().isEmpty() ? null : request.getVersionInfo();
            String error = request.hasErrorDetail() ? request.getErrorDetail().getMessage() : null;
            if (RDS.equals(request.getTypeUrl())) {
                s.routes = version;
            } else if (CDS.equals(request.getTypeUrl())) {
                s.clusters = version;
            } else if (SDS.equals(request.getTypeUrl())) {
                s.secrets = version;
            } else {
                return;
            }
            if (error != null) {
                log.println("Envoy " + s.address + " REJECTED " + request.getTypeUrl() + " (keeps " + version + "): " + error);
                s.nack = kind(request.getTypeUrl()) + ": " + error;
            } else if (!request.getResponseNonce().isEmpty()) {
                if (s.nack != null && s.nack.startsWith(kind(request.getTypeUrl()))) {
                    s.nack = null;
                }
                log.println("Envoy " + s.address + " ACKed " + kind(request.getTypeUrl()) + " " + version);
            }
            statusChanged();
        }

        @Override
        public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
            // the bootstrap asks for state-of-the-world ADS; delta streams are not tracked
        }

        private String kind(String typeUrl) {
            return RDS.equals(typeUrl) ? "routes" : SDS.equals(typeUrl) ? "certificates" : "clusters";
        }

        private String address(SocketAddress address) {
            return address instanceof InetSocketAddress inet ? inet.getAddress().getHostAddress() : Objects.toString(address, null);
        }
    }
}
