package io.swarmcanary.release;

import io.swarmcanary.swarm.NetworkInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which network gives a task its default route. Docker sorts a container's endpoints (internal networks
 * last, then by name) and takes the gateway of the first that has one; overlay networks have none, so a
 * task on overlays only routes out through docker_gwbridge. Swarm cannot set a gateway priority.
 */
public record RoutingReport(String defaultRouteNetwork, List<String> warnings) {
    public static final String GWBRIDGE = "docker_gwbridge";
    private static final Pattern BACKEND = Pattern.compile("(?i)(^|[_.-])(internal|back|backend|private|db|data)([_.-]|$)|^back");

    public static RoutingReport of(List<NetworkInfo> networks) {
        List<String> warnings = new ArrayList<>();
        Optional<NetworkInfo> winner = networks.stream()
                .filter(NetworkInfo::providesGateway)
                .min(Comparator.comparing(NetworkInfo::name));
        String route;
        if (winner.isPresent()) {
            route = winner.get().name();
        } else if (networks.stream().allMatch(NetworkInfo::internal) && !networks.isEmpty()) {
            route = null;
            warnings.add("every network is internal: tasks have no default route");
        } else {
            route = GWBRIDGE;
        }
        if (winner.isPresent() && BACKEND.matcher(route).find()) {
            warnings.add("default route goes through network '" + route
                    + "', whose name suggests a back-end network; mark it --internal or rename the networks so the"
                    + " public one sorts first (Swarm cannot set a gateway priority)");
        }
        return new RoutingReport(route, List.copyOf(warnings));
    }
}
