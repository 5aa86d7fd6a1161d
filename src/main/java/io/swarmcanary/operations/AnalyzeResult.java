package io.swarmcanary.operations;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.swarmcanary.analysis.Analysis;
import io.swarmcanary.release.Track;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What an analysis found, and the rollback it did (present only when it rolled back). Its JSON is what the pipeline
 * steps read.
 *
 * @param verdict  pass, fail or inconclusive; exitCode is the command's for it
 */
public record AnalyzeResult(String track, String verdict, String reason, List<Analysis.Breach> breaches, Analysis.ReleaseResult canary,
                            Analysis.ReleaseResult stable, LimitsJson limits, long windowSeconds, String source,
                            String traffic, int readers, List<String> warnings, String startedAt, String endedAt,
                            @JsonInclude(JsonInclude.Include.NON_NULL) Rollback rollback, @JsonIgnore int exitCode) {
    public record LimitsJson(long minRequests, double maxErrorRate, long maxP99Ms) {}

    public record Rollback(String outcome, Map<String, Integer> weights, List<String> removed, String revision, long seconds) {}

    /** @param of the track, for the command that rolls it back */
    public List<String> text(Track of) {
        List<String> lines = new ArrayList<>();
        lines.add(verdict.toUpperCase() + " " + track + ": " + reason);
        for (Analysis.ReleaseResult r : List.of(stable, canary)) {
            lines.add(String.format("  %-6s %-12s weight %3d%%  requests %6d  failed %5d of %6d attempts  success %s  p99 %s",
                    r == canary && "mirrored".equals(traffic) ? "mirror" : r.role(), r.version(), r.weight(), r.requests(), r.failed(), r.attempts(),
                    r.successRate() == null ? "-" : String.format("%.2f%%", r.successRate() * 100),
                    r.p99Ms() == null ? "-" : String.format("%.0fms", r.p99Ms())));
        }
        if (rollback != null) {
            lines.add("  rolled back: " + rollback.weights() + (rollback.removed().isEmpty() ? ""
                    : ", removed " + String.join(", ", rollback.removed())));
        } else if ("fail".equals(verdict)) {
            lines.add("  not rolled back (no --rollback-on-fail): 'swarm-canary rollback --app " + of.app() + " --env "
                    + of.env() + "'");
        }
        warnings.forEach(w -> lines.add("  note: " + w));
        return lines;
    }
}
