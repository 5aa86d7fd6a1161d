package io.swarmcanary.envoy;

import static io.swarmcanary.envoy.Domains.quote;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** Checks a route table before rendering and returns it in canonical order (same table, same bytes). */
final class RouteTableRules {
    static final int ADMIN_PORT = 9901;
    static final int MAX_WEIGHT = 100;

    /** app and env become the virtual host name and Envoy stat names: no dots, nothing YAML or a shell reads. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?");
    /** A Swarm service name that is also one DNS label; dots would split Envoy's cluster stat names. */
    private static final Pattern SERVICE = NAME;
    private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,127}");

    private RouteTableRules() {}

    static EdgeRoutes canonical(EdgeRoutes routes) {
        checkPort(routes.listenerPort(), "listener port", "");
        if (routes.listenerPort() == ADMIN_PORT) {
            throw new InvalidRoutesException("listener port " + ADMIN_PORT
                    + " is the admin interface's port (bound to 127.0.0.1): choose another public port");
        }
        Map<String, String> domainOwner = new HashMap<>();
        List<String> smoke = domains(routes.smokeDomains(), "the smoke test (Proxy OK)", domainOwner);

        Set<String> trackNames = new HashSet<>();
        Map<String, String> serviceOwner = new HashMap<>();
        List<TrackRoutes> tracks = new ArrayList<>();
        for (TrackRoutes track : routes.tracks()) {
            String where = "track " + quote(track.app()) + "/" + quote(track.env());
            requireName(track.app(), "app of " + where);
            requireName(track.env(), "env of " + where);
            if (!trackNames.add(track.name())) {
                throw new InvalidRoutesException("track " + track.name() + " appears twice in the route table");
            }
            tracks.add(track(track, domainOwner, serviceOwner));
        }
        tracks.sort(Comparator.comparing(TrackRoutes::app).thenComparing(TrackRoutes::env));
        return new EdgeRoutes(routes.listenerPort(), smoke, tracks, routes.revision());
    }

    private static TrackRoutes track(TrackRoutes track, Map<String, String> domainOwner,
                                     Map<String, String> serviceOwner) {
        String name = track.name();
        if (track.domains().isEmpty()) {
            throw new InvalidRoutesException("track " + name + " has no domains: give it at least one host name");
        }
        List<String> domains = domains(track.domains(), "track " + name, domainOwner);
        if (track.releases().isEmpty()) {
            throw new InvalidRoutesException("track " + name + " has no releases: deploy one before routing to it");
        }
        int total = 0;
        for (ReleaseRoute release : track.releases()) {
            String where = " of release " + quote(release.service()) + " in track " + name;
            if (!SERVICE.matcher(release.service()).matches()) {
                throw new InvalidRoutesException("invalid service name " + quote(release.service()) + " in track " + name
                        + ": use 1-63 letters, digits, '_' or '-', starting and ending with a letter or digit");
            }
            if (!VERSION.matcher(release.version()).matches()) {
                throw new InvalidRoutesException("invalid version " + quote(release.version()) + where
                        + ": use letters, digits, '.', '_', '+' or '-'");
            }
            checkPort(release.port(), "port", where);
            if (release.weight() < 0 || release.weight() > MAX_WEIGHT) {
                throw new InvalidRoutesException("weight " + release.weight() + where + " is outside 0-" + MAX_WEIGHT);
            }
            String other = serviceOwner.putIfAbsent(release.service(), name);
            if (other != null) {
                throw new InvalidRoutesException("service " + release.service() + " is listed twice (tracks "
                        + other + " and " + name + "): each release is one Envoy cluster");
            }
            total += release.weight();
        }
        if (total == 0) {
            throw new InvalidRoutesException("every release of track " + name
                    + " has weight 0: at least one must get traffic (Envoy needs a weight sum > 0)");
        }
        String canary = track.canaryService();
        if (canary != null && track.releases().stream().noneMatch(r -> r.service().equals(canary))) {
            throw new InvalidRoutesException("canary service " + quote(canary) + " of track " + name
                    + " is not one of its releases");
        }
        CanaryTraffic traffic = track.canaryTraffic();
        if (traffic != null) {
            if (track.releases().stream().noneMatch(r -> r.service().equals(traffic.service()))) {
                throw new InvalidRoutesException("the canary " + quote(traffic.service()) + " that --match or mirror of track "
                        + name + " reach is not one of its releases");
            }
            if (traffic.mirrorPercent() < 0 || traffic.mirrorPercent() > MAX_WEIGHT) {
                throw new InvalidRoutesException("mirror percentage " + traffic.mirrorPercent() + " of track " + name
                        + " is outside 0-" + MAX_WEIGHT);
            }
            if (traffic.sticky() != null) {
                // a cookie route to a release without weight would keep clients on what the weights took away
                for (String service : traffic.sticky().values().keySet()) {
                    if (track.releases().stream().noneMatch(r -> r.service().equals(service) && r.weight() > 0)) {
                        throw new InvalidRoutesException("the sticky cookie of track " + name + " names " + quote(service)
                                + ", which is not one of its releases with weight");
                    }
                }
            }
        }
        List<ReleaseRoute> releases = new ArrayList<>(track.releases());
        releases.sort(Comparator.comparing(ReleaseRoute::service));
        return new TrackRoutes(track.app(), track.env(), domains, releases, canary, traffic);
    }

    /** Normalises, de-duplicates and sorts domains; a domain claimed by two owners is an error naming both. */
    private static List<String> domains(List<String> raw, String owner, Map<String, String> domainOwner) {
        Set<String> result = new TreeSet<>();
        for (String domain : raw) {
            String normal = Domains.normalizeStrict(domain);
            if (normal == null) {
                throw new InvalidRoutesException("invalid domain " + quote(domain) + " in " + owner
                        + ": use a host name with an optional ':port' or ':*' and an optional leading '*.'");
            }
            if (result.add(normal)) {
                String other = domainOwner.putIfAbsent(normal, owner);
                if (other != null) {
                    throw new InvalidRoutesException("domain " + normal + " is claimed by both " + other + " and "
                            + owner + ": a host name can route to one track only");
                }
            }
        }
        return List.copyOf(result);
    }

    private static void requireName(String value, String what) {
        if (!NAME.matcher(value).matches()) {
            throw new InvalidRoutesException("invalid " + what + ": use 1-63 letters, digits, '_' or '-', "
                    + "starting and ending with a letter or digit");
        }
    }

    private static void checkPort(int port, String what, String where) {
        if (port < 1 || port > 65535) {
            throw new InvalidRoutesException(what + " " + port + where + " is outside 1-65535");
        }
    }
}
