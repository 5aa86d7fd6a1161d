package io.swarmcanary.operations;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swarmcanary.edge.RouteTable;
import java.util.List;
import java.util.Map;

/**
 * A shift not applied: the weights the track would get, and those it has now.
 *
 * @param outcome  planned, or unchanged when the edge already serves these weights
 * @param weights  by version, after the shift
 * @param before   by version, now
 * @param revision the revision the edge would serve; currentRevision is the one it has
 * @param gaining  releases that would get traffic they do not have now (the shift waits for Envoy to find them)
 * @param sticky   the sticky sessions the track would have, null for none
 */
public record ShiftPlan(String track, String edge, boolean dryRun, String outcome, Map<String, Integer> weights,
                        Map<String, Integer> before, String revision, String currentRevision, List<String> gaining,
                        List<String> warnings, @JsonInclude(JsonInclude.Include.NON_NULL) RouteTable.Sticky sticky) {
    public List<String> text() {
        return List.of(("unchanged".equals(outcome) ? "dry run: already serving " : "dry run: would shift ") + track + ": "
                        + weights + ShiftResult.stickyText(sticky) + " (now " + before + "; edge " + edge + ", revision "
                        + currentRevision + " -> " + revision + ")",
                "  nothing was changed");
    }
}
