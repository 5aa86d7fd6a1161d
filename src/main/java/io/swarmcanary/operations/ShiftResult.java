package io.swarmcanary.operations;

import java.util.List;
import java.util.Map;

/** What a shift did: the weights the live Envoy serves now, by version. Its JSON is what the pipeline steps read. */
public record ShiftResult(String track, Map<String, Integer> weights, String edge, String outcome, String revision, long seconds) {
    public List<String> text() {
        return List.of(("unchanged".equals(outcome) ? "already serving " : "shifted ") + track + ": " + weights + " (edge "
                + edge + ", revision " + revision + ", " + seconds + "s)");
    }
}
