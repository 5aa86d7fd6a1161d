package io.swarmcanary.edge;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmcanary.UserInputException;
import java.util.List;

/**
 * How the edge service runs, as the user asked for it with {@code edge ensure}. Stored as a label on the
 * edge, so later commands rebuild the spec from it instead of re-sending a spec read back from Docker.
 *
 * @param templateConfig name of the Swarm config holding the user's bootstrap template, or null
 */
public record EdgeSettings(String name, String image, int port, List<String> networks, List<String> constraints,
                           String templateConfig, String delivery) {
    public static final int LISTENER_PORT = 10000;
    private static final ObjectMapper JSON = new ObjectMapper();

    public EdgeSettings {
        networks = List.copyOf(networks);
        constraints = List.copyOf(constraints);
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9_-]{0,40}")) {
            throw new UserInputException("invalid --edge '" + name + "': letters, digits, '_' and '-', at most 41 characters");
        }
        if (port < 1 || port > 65535) {
            throw new UserInputException("--port must be between 1 and 65535, got " + port);
        }
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static EdgeSettings fromJson(String json) {
        try {
            return JSON.readValue(json, EdgeSettings.class);
        } catch (Exception e) {
            throw new IllegalStateException("the edge's settings label does not parse: " + e.getMessage(), e);
        }
    }

    public EdgeSettings withTemplate(String config) {
        return new EdgeSettings(name, image, port, networks, constraints, config, delivery);
    }
}
