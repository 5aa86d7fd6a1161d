package io.swarmcanary.operations;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A promote or rollback not applied.
 *
 * @param command promote or rollback
 * @param outcome planned, or unchanged when the step is done already
 * @param phase   the track's phase after the step; phaseBefore the one it has now
 * @param weights by version, after the step; before, now
 * @param remove  releases whose services the step would remove (their secrets stay for prune)
 */
public record StepPlan(String track, String edge, boolean dryRun, String command, String outcome, String phase, String stable,
                       String previous, Map<String, Integer> weights, String phaseBefore, Map<String, Integer> before,
                       List<String> remove, String revision, String currentRevision, List<String> warnings) {
    public List<String> text() {
        List<String> lines = new ArrayList<>();
        lines.add("dry run: " + ("unchanged".equals(outcome) ? command + " has nothing to change for " : command + " would set ")
                + track + ": " + weights + " (now " + before + ", phase " + phaseBefore + " -> " + phase + "; edge " + edge
                + ", revision " + currentRevision + " -> " + revision + ")");
        remove.forEach(r -> lines.add("  would remove release " + r + " (its secrets stay until 'swarm-canary prune')"));
        warnings.forEach(w -> lines.add("  warning: " + w));
        lines.add("  nothing was changed");
        return lines;
    }
}
