package io.swarmcanary.operations;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.swarmcanary.release.Track;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a promote or rollback did. Its JSON is what the pipeline steps read.
 *
 * @param outcome unchanged, or what was done ("promoted", "rolled back")
 * @param done    what the step does, in words, for the text
 */
public record StepResult(String track, String outcome, String phase, String stable, String previous, Map<String, Integer> weights,
                         List<String> removed, String edge, String revision, long seconds, @JsonIgnore String done) {
    /** @param of the track, for the command that takes the step back */
    public List<String> text(Track of) {
        List<String> lines = new ArrayList<>();
        lines.add(("unchanged".equals(outcome) ? "already " + done + ": " : done + " ") + track + ": " + weights + " (phase "
                + phase + ", edge " + edge + ", revision " + revision + ", " + seconds + "s)");
        removed.forEach(r -> lines.add("  removed release " + r + " (its secrets stay until 'swarm-canary prune')"));
        if (previous != null) {
            lines.add("  rollback target: " + previous + " (weight 0; 'swarm-canary rollback"
                    + ("envoy".equals(edge) ? "" : " --edge " + edge) + " --app " + of.app() + " --env " + of.env()
                    + "' puts it back)");
        }
        return lines;
    }
}
