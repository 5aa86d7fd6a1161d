package io.swarmcanary.envoy;

import static io.swarmcanary.envoy.Domains.quote;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster.ClusterWeight;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Rules Envoy enforces (or that bite at run time) which protobuf parsing does not check:
 * non-empty unique names for listeners, clusters and virtual hosts; ports 1-65535; every route's
 * cluster and weighted cluster defined (unless clusters come from CDS); weighted-cluster weight sums
 * greater than 0 and within uint32; a domain in at most one virtual host of a route config, with valid
 * syntax; the admin interface on loopback and on no listener's port.
 */
final class BootstrapRules {
    private static final long MAX_WEIGHT_SUM = 0xFFFF_FFFFL;

    private final List<ValidationResult.Problem> problems = new ArrayList<>();
    private final Set<String> clusters = new HashSet<>();
    private boolean clustersFromCds;

    private BootstrapRules() {}

    static List<ValidationResult.Problem> check(Bootstrap bootstrap) {
        BootstrapRules rules = new BootstrapRules();
        rules.clustersFromCds = bootstrap.getDynamicResources().hasCdsConfig()
                || !bootstrap.getDynamicResources().getCdsResourcesLocator().isEmpty();
        rules.clusters(bootstrap.getStaticResources().getClustersList());
        Set<Integer> listenerPorts = rules.listeners(bootstrap.getStaticResources().getListenersList());
        if (bootstrap.hasAdmin() && bootstrap.getAdmin().hasAddress()) {
            rules.admin(bootstrap.getAdmin().getAddress(), listenerPorts);
        }
        return rules.problems;
    }

    private void clusters(List<Cluster> list) {
        for (int c = 0; c < list.size(); c++) {
            Cluster cluster = list.get(c);
            String path = "static_resources.clusters[" + c + "]";
            if (cluster.getName().isEmpty()) {
                problem(path + ".name", "cluster has no name");
            } else if (!clusters.add(cluster.getName())) {
                problem(path + ".name", "cluster name " + quote(cluster.getName()) + " is used twice");
            }
            List<LocalityLbEndpoints> localities = cluster.getLoadAssignment().getEndpointsList();
            for (int l = 0; l < localities.size(); l++) {
                List<LbEndpoint> endpoints = localities.get(l).getLbEndpointsList();
                for (int e = 0; e < endpoints.size(); e++) {
                    port(endpoints.get(e).getEndpoint().getAddress(), path + ".load_assignment.endpoints[" + l
                            + "].lb_endpoints[" + e + "].endpoint.address.socket_address.port_value");
                }
            }
        }
    }

    /** Returns the listeners' ports, for the admin check. */
    private Set<Integer> listeners(List<Listener> list) {
        Set<String> names = new HashSet<>();
        Map<String, Integer> bound = new HashMap<>();
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            Listener listener = list.get(i);
            String path = "static_resources.listeners[" + i + "]";
            if (listener.getName().isEmpty()) {
                problem(path + ".name", "listener has no name");
            } else if (!names.add(listener.getName())) {
                problem(path + ".name", "listener name " + quote(listener.getName()) + " is used twice");
            }
            if (port(listener.getAddress(), path + ".address.socket_address.port_value")) {
                SocketAddress socket = listener.getAddress().getSocketAddress();
                ports.add(socket.getPortValue());
                Integer other = bound.putIfAbsent(socket.getAddress() + ":" + socket.getPortValue(), i);
                if (other != null) {
                    problem(path + ".address", "listeners[" + other + "] already binds "
                            + socket.getAddress() + ":" + socket.getPortValue());
                }
            }
            for (int c = 0; c < listener.getFilterChainsCount(); c++) {
                filterChain(listener.getFilterChains(c), path + ".filter_chains[" + c + "]");
            }
            if (listener.hasDefaultFilterChain()) {
                filterChain(listener.getDefaultFilterChain(), path + ".default_filter_chain");
            }
        }
        return ports;
    }

    private void filterChain(FilterChain chain, String path) {
        for (int f = 0; f < chain.getFiltersCount(); f++) {
            Any config = chain.getFilters(f).getTypedConfig();
            String filterPath = path + ".filters[" + f + "].typed_config";
            if (!config.is(HttpConnectionManager.class)) {
                continue;
            }
            HttpConnectionManager hcm;
            try {
                hcm = config.unpack(HttpConnectionManager.class);
            } catch (InvalidProtocolBufferException e) {
                problem(filterPath, "cannot read the HttpConnectionManager: " + e.getMessage());
                continue;
            }
            if (hcm.hasRouteConfig()) {
                routeConfig(hcm.getRouteConfig(), filterPath + ".route_config");
            } else if (!hcm.hasRds() && !hcm.hasScopedRoutes()) {
                problem(filterPath, "HttpConnectionManager has no route_config, rds or scoped_routes");
            }
        }
    }

    private void routeConfig(RouteConfiguration config, String path) {
        Set<String> hostNames = new HashSet<>();
        Map<String, String> domainHost = new HashMap<>();
        for (int v = 0; v < config.getVirtualHostsCount(); v++) {
            VirtualHost host = config.getVirtualHosts(v);
            String hostPath = path + ".virtual_hosts[" + v + "]";
            if (host.getName().isEmpty()) {
                problem(hostPath + ".name", "virtual host has no name");
            } else if (!hostNames.add(host.getName())) {
                problem(hostPath + ".name", "virtual host name " + quote(host.getName()) + " is used twice");
            }
            if (host.getDomainsCount() == 0) {
                problem(hostPath + ".domains", "virtual host " + quote(host.getName()) + " has no domains");
            }
            for (int d = 0; d < host.getDomainsCount(); d++) {
                String domain = host.getDomains(d);
                String domainPath = hostPath + ".domains[" + d + "]";
                if (!Domains.isEnvoySyntax(domain)) {
                    problem(domainPath, "invalid domain " + quote(domain)
                            + ": use a host name, optionally with :port, and at most one '*' at its start or end");
                }
                // Envoy matches hosts case-insensitively, so Files.example.com and files.example.com clash.
                String other = domainHost.putIfAbsent(domain.toLowerCase(Locale.ROOT), host.getName());
                if (other != null) {
                    problem(domainPath, "domain " + quote(domain) + " is in virtual hosts " + quote(other)
                            + " and " + quote(host.getName()) + ": Envoy allows a domain once per route config");
                }
            }
            for (int r = 0; r < host.getRoutesCount(); r++) {
                route(host.getRoutes(r), hostPath + ".routes[" + r + "].route");
            }
        }
    }

    private void route(Route route, String path) {
        if (!route.hasRoute()) {
            return; // redirect or direct_response: no cluster
        }
        var action = route.getRoute();
        switch (action.getClusterSpecifierCase()) {
            case CLUSTER -> clusterReference(action.getCluster(), path + ".cluster");
            case WEIGHTED_CLUSTERS -> {
                List<ClusterWeight> weights = action.getWeightedClusters().getClustersList();
                String listPath = path + ".weighted_clusters.clusters";
                if (weights.isEmpty()) {
                    problem(listPath, "weighted_clusters lists no clusters");
                    return;
                }
                long sum = 0;
                for (int w = 0; w < weights.size(); w++) {
                    ClusterWeight weight = weights.get(w);
                    sum += Integer.toUnsignedLong(weight.getWeight().getValue()); // uint32 arrives as a signed int
                    if (weight.getClusterHeader().isEmpty()) {
                        clusterReference(weight.getName(), listPath + "[" + w + "].name");
                    }
                }
                if (sum == 0) {
                    problem(listPath, "weights sum to 0: at least one cluster must have a weight above 0");
                } else if (sum > MAX_WEIGHT_SUM) {
                    problem(listPath, "weights sum to " + sum + ", more than Envoy's limit " + MAX_WEIGHT_SUM);
                }
            }
            default -> { } // cluster_header and cluster plugins name no cluster we can check
        }
    }

    private void clusterReference(String name, String path) {
        if (name.isEmpty()) {
            problem(path, "route names no cluster");
        } else if (!clustersFromCds && !clusters.contains(name)) {
            problem(path, "route points at cluster " + quote(name)
                    + ", which static_resources.clusters does not define");
        }
    }

    private void admin(Address address, Set<Integer> listenerPorts) {
        if (!address.hasSocketAddress()) {
            return; // a unix socket is not reachable from the network either
        }
        String host = address.getSocketAddress().getAddress();
        if (!(host.startsWith("127.") || host.equals("::1") || host.equals("localhost"))) {
            problem("admin.address.socket_address.address", "admin interface binds " + quote(host)
                    + ": bind it to 127.0.0.1 (or ::1) only, since it can reconfigure and stop Envoy");
        }
        String portPath = "admin.address.socket_address.port_value";
        if (port(address, portPath) && listenerPorts.contains(address.getSocketAddress().getPortValue())) {
            problem(portPath, "admin port " + address.getSocketAddress().getPortValue()
                    + " is also a listener's port: the admin interface must never share the public listener");
        }
    }

    /** Checks a socket address's port_value; returns true when there is a valid one. */
    private boolean port(Address address, String path) {
        if (!address.hasSocketAddress()
                || address.getSocketAddress().getPortSpecifierCase() == SocketAddress.PortSpecifierCase.NAMED_PORT) {
            return false;
        }
        int port = address.getSocketAddress().getPortValue();
        if (port < 1 || port > 65535) {
            problem(path, "port " + Integer.toUnsignedString(port) + " is outside 1-65535");
            return false;
        }
        return true;
    }

    private void problem(String path, String message) {
        problems.add(new ValidationResult.Problem(path, message));
    }
}
