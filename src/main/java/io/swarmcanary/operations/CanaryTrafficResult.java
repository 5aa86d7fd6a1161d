package io.swarmcanary.operations;

import java.util.List;
import java.util.Map;

/**
 * What route or mirror did (or, with dryRun, would do). Its JSON is what the pipeline steps read.
 *
 * @param outcome       routed / mirrored, unchanged when the edge already served it, planned for a dry run
 * @param canary        the canary's version, null when the track has none
 * @param match         the A/B matches in force after it (all must hold), as route --match specs; empty for none
 * @param mirrorPercent the share of the weighted traffic mirrored to the canary after it; 0 for none
 * @param weights       by version
 */
public record CanaryTrafficResult(String command, String track, String edge, boolean dryRun, String outcome, String canary,
                                  List<String> match, int mirrorPercent, Map<String, Integer> weights, String revision,
                                  long seconds) {
    public List<String> text() {
        String what = (match.isEmpty() ? "no A/B match" : "requests with " + String.join(" AND ", match) + " go to canary " + canary)
                + "; " + (mirrorPercent == 0 ? "no mirroring" : mirrorPercent + "% of the weighted traffic mirrored to canary "
                + canary + " (answers discarded)");
        String head = dryRun ? ("unchanged".equals(outcome) ? "dry run: already serving " : "dry run: would serve ")
                : "unchanged".equals(outcome) ? "already serving " : command + ": serving ";
        return dryRun ? List.of(head + track + ": " + what + "; weights " + weights + " (edge " + edge + ", revision "
                        + revision + ")", "  nothing was changed")
                : List.of(head + track + ": " + what + "; weights " + weights + " (edge " + edge + ", revision " + revision
                        + ", " + seconds + "s)");
    }
}
