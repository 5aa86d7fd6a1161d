package io.swarmcanary.envoy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks an Envoy bootstrap before it is applied: it must be one YAML mapping without repeated keys,
 * parse into Envoy's own v3 protobuf types (unknown fields and typed_config types are errors), and pass
 * the rules protobuf cannot express: non-empty unique names, ports 1-65535, routes to defined clusters,
 * weighted-cluster sums above 0, each domain once per route config, the admin interface on loopback.
 */
public final class EnvoyConfigValidator {
    public ValidationResult validate(String yaml) {
        String json;
        try {
            json = YamlTrees.JSON.writeValueAsString(YamlTrees.readMapping(yaml));
        } catch (YamlTrees.YamlException e) {
            return failure(e.getMessage());
        } catch (JsonProcessingException e) {
            return failure("cannot convert the YAML to JSON: " + e.getOriginalMessage());
        }
        return validateJson(json);
    }

    /**
     * Checks a config the renderer made as a tree ({@link EnvoyConfigRenderer#renderTree}) without writing it as YAML and
     * parsing that back: the YAML written from a tree reads back as that very tree (every string quoted, no repeated key
     * in a tree, one mapping; EnvoyConfigValidatorTest checks it on rendered configs), so this is what Envoy gets.
     */
    public ValidationResult validateRendered(JsonNode tree) {
        return checkRendered(tree).result();
    }

    /**
     * What {@link #validateRendered} says, and the config as Envoy's own types when it parsed: what the control plane
     * serves from, so it is parsed once.
     *
     * @param config null when the tree does not parse as a bootstrap
     */
    public record Checked(ValidationResult result, Bootstrap config) {}

    public Checked checkRendered(JsonNode tree) {
        if (!(tree instanceof ObjectNode root)) {
            return new Checked(failure("expected an Envoy bootstrap mapping"), null);
        }
        Map<String, Message> parsed = new HashMap<>();
        Bootstrap config;
        try {
            config = parseByParts(root, parsed);
        } catch (JsonProcessingException e) {
            return new Checked(failure("cannot convert the config to JSON: " + e.getOriginalMessage()), null);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            return notABootstrap(e);
        }
        lastParts = parsed;
        return checked(config);
    }

    /**
     * The clusters and virtual hosts the last {@link #checkRendered} parsed, by their JSON text: a control plane checks
     * its edge's config again on every change, and a change touches one track of many, so the others' parts are not
     * parsed again (#19). Only the last config's parts are kept, so it never holds more than one config.
     */
    private volatile Map<String, Message> lastParts = Map.of();

    /** Where an HttpConnectionManager with inline virtual hosts is: listener, filter chain (-1: the default one), filter. */
    private record HostsPlace(int listener, int chain, int filter, ObjectNode routeConfig, ArrayNode hosts) {}

    /**
     * The tree as Envoy's types, as one parse of all of it would make them: the clusters and the inline virtual hosts of
     * each HttpConnectionManager parsed one by one (or taken from {@link #lastParts}), the rest in one parse. Each list is
     * swapped for an empty one while the rest is written, then put back in its place (also after a failure): the tree is
     * left as it was, but must not be read by another thread meanwhile.
     */
    private Bootstrap parseByParts(ObjectNode root, Map<String, Message> parsed)
            throws JsonProcessingException, InvalidProtocolBufferException {
        List<HostsPlace> places = new ArrayList<>();
        ObjectNode statics = root.get("static_resources") instanceof ObjectNode o ? o : null;
        ArrayNode clusters = statics != null && statics.get("clusters") instanceof ArrayNode a ? a : null;
        JsonNode listeners = statics == null ? MissingNode.getInstance() : statics.path("listeners");
        for (int l = 0; listeners.isArray() && l < listeners.size(); l++) {
            JsonNode chains = listeners.get(l).path("filter_chains");
            for (int c = 0; chains.isArray() && c < chains.size(); c++) {
                findHosts(chains.get(c), l, c, places);
            }
            findHosts(listeners.get(l).path("default_filter_chain"), l, -1, places);
        }
        String rest;
        try {
            if (clusters != null) {
                statics.replace("clusters", clusters.arrayNode());
            }
            places.forEach(p -> p.routeConfig().replace("virtual_hosts", p.routeConfig().arrayNode()));
            rest = YamlTrees.JSON.writeValueAsString(root);
        } finally { // replace keeps a field's place, so the tree writes as before
            if (clusters != null) {
                statics.replace("clusters", clusters);
            }
            places.forEach(p -> p.routeConfig().replace("virtual_hosts", p.hosts()));
        }
        Bootstrap.Builder bootstrap = Bootstrap.newBuilder();
        parser().merge(rest, bootstrap);
        if (clusters != null) {
            for (JsonNode cluster : clusters) {
                bootstrap.getStaticResourcesBuilder().addClusters((Cluster) part(cluster, Cluster::newBuilder, parsed));
            }
        }
        for (HostsPlace p : places) {
            io.envoyproxy.envoy.config.listener.v3.Listener.Builder listener = bootstrap.getStaticResourcesBuilder()
                    .getListenersBuilder(p.listener());
            io.envoyproxy.envoy.config.listener.v3.Filter.Builder filter = (p.chain() < 0 ? listener.getDefaultFilterChainBuilder()
                    : listener.getFilterChainsBuilder(p.chain())).getFiltersBuilder(p.filter());
            HttpConnectionManager.Builder hcm = filter.getTypedConfig().unpack(HttpConnectionManager.class).toBuilder();
            for (JsonNode host : p.hosts()) {
                hcm.getRouteConfigBuilder().addVirtualHosts((VirtualHost) part(host, VirtualHost::newBuilder, parsed));
            }
            filter.setTypedConfig(Any.newBuilder().setTypeUrl(filter.getTypedConfig().getTypeUrl())
                    .setValue(hcm.build().toByteString()));
        }
        return bootstrap.build();
    }

    private static void findHosts(JsonNode chain, int listener, int chainIndex, List<HostsPlace> places) {
        JsonNode filters = chain.path("filters");
        for (int f = 0; filters.isArray() && f < filters.size(); f++) {
            JsonNode typed = filters.get(f).path("typed_config");
            if (EnvoyConfigRenderer.HCM_TYPE.equals(typed.path("@type").asText())
                    && typed.path("route_config") instanceof ObjectNode routeConfig
                    && routeConfig.get("virtual_hosts") instanceof ArrayNode hosts) {
                places.add(new HostsPlace(listener, chainIndex, f, routeConfig, hosts));
            }
        }
    }

    /** A part as Envoy's type: from this check (each HTTPS chain repeats the route table) or the last one, else parsed. */
    private Message part(JsonNode node, java.util.function.Supplier<Message.Builder> builder, Map<String, Message> parsed)
            throws JsonProcessingException, InvalidProtocolBufferException {
        // keyed by the text, which is what is parsed: a tree changed after a check cannot match its old parts
        String json = YamlTrees.JSON.writeValueAsString(node);
        Message known = parsed.get(json);
        if (known == null) {
            known = lastParts.get(json);
        }
        if (known == null) {
            Message.Builder b = builder.get();
            parser().merge(json, b);
            known = b.build();
        }
        parsed.put(json, known);
        return known;
    }

    private static JsonFormat.Parser parser() {
        return JsonFormat.parser().usingTypeRegistry(EnvoyTypes.REGISTRY);
    }

    private ValidationResult validateJson(String json) {
        return checkJson(json).result();
    }

    private Checked checkJson(String json) {
        Bootstrap.Builder bootstrap = Bootstrap.newBuilder();
        try {
            parser().merge(json, bootstrap);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            return notABootstrap(e);
        }
        return checked(bootstrap.build());
    }

    /** A parsed config, with the rules protobuf cannot express checked. */
    private static Checked checked(Bootstrap config) {
        return new Checked(new ValidationResult(BootstrapRules.check(config)), config);
    }

    private static Checked notABootstrap(Exception e) {
        return new Checked(failure("not a valid Envoy v3 bootstrap: " + e.getMessage() + hint(e.getMessage())), null);
    }

    private static String hint(String message) {
        return message != null && message.contains("Cannot resolve type")
                ? " (this validator reads the typed_config types in EnvoyTypes; add the type there if Envoy knows it)"
                : "";
    }

    private static ValidationResult failure(String message) {
        return new ValidationResult(List.of(new ValidationResult.Problem("$", message)));
    }
}
