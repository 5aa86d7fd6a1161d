package io.swarmcanary.operations;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swarmcanary.edge.RouteTable;
import java.util.List;
import java.util.Map;

/**
 * What a shift did: the weights the live Envoy serves now, by version. Its JSON is what the pipeline steps read.
 *
 * @param sticky the track's sticky sessions ({@code shift --sticky}), absent when it has none
 */
public record ShiftResult(String track, Map<String, Integer> weights, String edge, String outcome, String revision, long seconds,
                          @JsonInclude(JsonInclude.Include.NON_NULL) RouteTable.Sticky sticky) {
    public ShiftResult(String track, Map<String, Integer> weights, String edge, String outcome, String revision, long seconds) {
        this(track, weights, edge, outcome, revision, seconds, null);
    }

    public List<String> text() {
        return List.of(("unchanged".equals(outcome) ? "already serving " : "shifted ") + track + ": " + weights
                + stickyText(sticky) + " (edge " + edge + ", revision " + revision + ", " + seconds + "s)");
    }

    static String stickyText(RouteTable.Sticky sticky) {
        return sticky == null ? "" : ", sticky (cookie " + sticky.cookie() + ", " + sticky.ttlSeconds() + "s)";
    }
}
