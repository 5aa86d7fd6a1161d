package io.swarmcanary.operations;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.swarmcanary.release.DeployResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a deploy did: the release (names only), what the edge does with it, and the canary it replaced. Its JSON is
 * what the pipeline steps read.
 *
 * @param weights        the track's weights by version on the edge, empty when no edge routes it
 * @param networksGiven  whether the request named networks (the text then shows the default route)
 */
public record DeployReport(String service, String track, String version, DeployResult.Outcome outcome,
                           List<String> secretsCreated, List<String> secretsReused, String defaultRouteNetwork,
                           List<String> warnings, long seconds, String routing, Map<String, Integer> weights,
                           List<String> replacedCanary, @JsonIgnore boolean networksGiven) {
    public List<String> text() {
        List<String> lines = new ArrayList<>();
        lines.add(outcome == DeployResult.Outcome.CREATED
                ? "deployed " + service + " in " + seconds + "s: all tasks running and healthy"
                : "unchanged: " + service + " already runs with this definition");
        if (!secretsCreated.isEmpty()) {
            lines.add("  secrets created: " + String.join(", ", secretsCreated));
        }
        if (!secretsReused.isEmpty()) {
            lines.add("  secrets reused:  " + String.join(", ", secretsReused));
        }
        if (defaultRouteNetwork != null && networksGiven) {
            lines.add("  default route:   " + defaultRouteNetwork);
        }
        warnings.forEach(w -> lines.add("  warning: " + w));
        replacedCanary.forEach(r -> lines.add("  replaced canary: " + r + " (removed)"));
        lines.add("  routing:         " + routing);
        return lines;
    }
}
