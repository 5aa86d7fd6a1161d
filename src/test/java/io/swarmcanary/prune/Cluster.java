package io.swarmcanary.prune;

import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.EdgeSettings;
import io.swarmcanary.edge.RouteTable;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ConfigInfo;
import io.swarmcanary.swarm.SecretInfo;
import io.swarmcanary.swarm.ServiceReferences;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Builds cluster states for planner tests: services with specs and previous specs, secrets and configs with ages. */
final class Cluster {
    static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");

    final List<ServiceReferences> services = new ArrayList<>();
    final List<SecretInfo> secrets = new ArrayList<>();
    final List<ConfigInfo> configs = new ArrayList<>();

    ClusterState state() {
        return new ClusterState(NOW, services, secrets, configs);
    }

    static Instant ago(Duration d) {
        return NOW.minus(d);
    }

    /** A release of track app-env created {@code minutesAgo}, mounting the given secrets (by name; ID = "id-" + name). */
    ServiceReferences release(String app, String env, String version, int minutesAgo, String edge, List<String> secretNames,
                              List<String> previousSecretNames) {
        Track track = new Track(app, env);
        Map<String, String> labels = Labels.ofTrack(track, "release");
        labels.put(Labels.VERSION, version);
        if (edge != null) {
            labels.put(Labels.EDGE, edge);
        }
        String name = track.name() + "-" + version.replace('.', '_');
        ServiceReferences s = new ServiceReferences("svc-" + name, name, ago(Duration.ofMinutes(minutesAgo)).toString(),
                refs("img/" + name, labels, secretNames, List.of()),
                previousSecretNames == null ? null : refs("img/" + name + "-before", labels, previousSecretNames, List.of()));
        services.add(s);
        return s;
    }

    ServiceReferences release(String app, String env, String version, int minutesAgo, String edge, String... secretNames) {
        return release(app, env, version, minutesAgo, edge, List.of(secretNames), null);
    }

    ServiceReferences edge(String name, RouteTable routes, String config, String template, Map<String, String> previousLabels) {
        Map<String, String> labels = new TreeMap<>(Labels.managed());
        labels.put(Labels.KIND, "edge");
        labels.put(Labels.EDGE, name);
        labels.put(EdgeManager.ROUTE_TABLE, routes.toJson());
        labels.put(EdgeManager.CONFIG, config);
        labels.put(EdgeManager.SETTINGS, settings(name, template));
        ServiceReferences s = new ServiceReferences("svc-" + name, name, ago(Duration.ofDays(30)).toString(),
                new ServiceReferences.Refs("envoy", labels, Set.of("id-" + config), Set.of(config), Set.of("id-" + config), Set.of(config)),
                previousLabels == null ? null : new ServiceReferences.Refs("envoy", previousLabels, Set.of(), Set.of(), Set.of(), Set.of()));
        services.add(s);
        return s;
    }

    static String settings(String edge, String template) {
        return new EdgeSettings(edge, "envoy", 10000, List.of(edge + "-net"), List.of(), template, "redeploy").toJson();
    }

    /** Replaces the edge's route table. */
    void routes(String edge, RouteTable routes) {
        for (int i = 0; i < services.size(); i++) {
            ServiceReferences s = services.get(i);
            if (s.name().equals(edge)) {
                Map<String, String> labels = new TreeMap<>(s.labels());
                labels.put(EdgeManager.ROUTE_TABLE, routes.toJson());
                services.set(i, new ServiceReferences(s.id(), s.name(), s.createdAt(), new ServiceReferences.Refs(
                        s.current().image(), labels, s.current().secretIds(), s.current().secretNames(), s.current().configIds(),
                        s.current().configNames()), s.previous()));
            }
        }
    }

    SecretInfo secret(String app, String env, String name, Duration age) {
        Map<String, String> labels = Labels.ofTrack(new Track(app, env), "secret");
        SecretInfo s = new SecretInfo("id-" + name, name, labels, ago(age).toString());
        secrets.add(s);
        return s;
    }

    ConfigInfo config(String name, String kind, String edge, Duration age, int bytes) {
        Map<String, String> labels = new TreeMap<>(Labels.managed());
        labels.put(Labels.KIND, kind);
        labels.put(Labels.EDGE, edge);
        ConfigInfo c = new ConfigInfo("id-" + name, name, labels, new byte[bytes], ago(age).toString());
        configs.add(c);
        return c;
    }

    static ServiceReferences.Refs refs(String image, Map<String, String> labels, List<String> secretNames, List<String> configNames) {
        return new ServiceReferences.Refs(image, labels, ids(secretNames), Set.copyOf(secretNames), ids(configNames), Set.copyOf(configNames));
    }

    private static Set<String> ids(List<String> names) {
        return Set.copyOf(names.stream().map(n -> "id-" + n).toList());
    }
}
