package io.swarmcanary.envoy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import java.util.List;

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
        if (!(tree instanceof com.fasterxml.jackson.databind.node.ObjectNode)) {
            return new Checked(failure("expected an Envoy bootstrap mapping"), null);
        }
        try {
            return checkJson(YamlTrees.JSON.writeValueAsString(tree));
        } catch (JsonProcessingException e) {
            return new Checked(failure("cannot convert the config to JSON: " + e.getOriginalMessage()), null);
        }
    }

    private ValidationResult validateJson(String json) {
        return checkJson(json).result();
    }

    private Checked checkJson(String json) {
        Bootstrap.Builder bootstrap = Bootstrap.newBuilder();
        try {
            JsonFormat.parser().usingTypeRegistry(EnvoyTypes.REGISTRY).merge(json, bootstrap);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            return new Checked(failure("not a valid Envoy v3 bootstrap: " + e.getMessage() + hint(e.getMessage())), null);
        }
        Bootstrap config = bootstrap.build();
        return new Checked(new ValidationResult(BootstrapRules.check(config)), config);
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
