package io.swarmcanary.operations;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.swarmcanary.envoy.XdsConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What edge ensure did. Its JSON is what the pipeline steps read.
 *
 * @param xds         delivery xds (its control plane's status read through the stats host)
 * @param forceCanary whether a request with a canary token reaches its track's canary (off unless turned on)
 */
public record EdgeEnsureResult(String edge, String outcome, String revision, String config,
                               Map<String, Map<String, Integer>> weights, List<String> warnings, long seconds,
                               @JsonIgnore int port, @JsonIgnore boolean xds, boolean forceCanary) {
    public List<String> text() {
        List<String> lines = new ArrayList<>();
        lines.add("edge " + edge + " " + outcome + ": serving revision " + revision + " on port " + port + " (config " + config + ")");
        if (xds) {
            lines.add("  delivery xds: control plane " + XdsConfig.controlPlaneService(edge) + " (status through the stats host)"
                    + "; every Envoy has ACKed revision " + revision);
        }
        lines.add("  forcing the canary with a token: " + (forceCanary ? "on (swarm-canary canary-token)" : "off"));
        warnings.forEach(w -> lines.add("  warning: " + w));
        return lines;
    }
}
