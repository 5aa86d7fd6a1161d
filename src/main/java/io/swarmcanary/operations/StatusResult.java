package io.swarmcanary.operations;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.release.StatusReader;
import io.swarmcanary.release.Track;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What status found. Its JSON is what the pipeline steps read.
 *
 * @param edge     whether every Envoy has the edge's config; absent when the edge does not exist
 * @param unrouted tracks the edge leaves out of its config, with the reason
 * @param delivery the edge's delivery, null when it does not exist
 * @param forceCanary whether the edge lets a canary token reach a track's canary; null when the edge does not exist
 */
public record StatusResult(List<StatusReader.TrackStatus> tracks, @JsonInclude(JsonInclude.Include.NON_NULL) EdgeManager.DeliveryStatus edge,
                           Map<String, String> unrouted, @JsonIgnore String edgeName, @JsonIgnore String delivery,
                           @JsonIgnore Track filter, @JsonInclude(JsonInclude.Include.NON_NULL) Boolean forceCanary) {
    public List<String> text() {
        List<String> lines = new ArrayList<>();
        if (edge != null) {
            lines.add(edge.describe());
        }
        if (forceCanary != null) {
            lines.add("edge " + edgeName + ": forcing the canary with a token is "
                    + (forceCanary ? "on (swarm-canary canary-token)" : "off"));
        }
        unrouted.forEach((t, why) -> lines.add("track " + t + " is NOT ROUTED by edge " + edgeName + ": " + why
                + " (every other track is served; fix it by rolling that track back or redeploying it with other domains)"));
        if (tracks.isEmpty()) {
            lines.add(filter == null ? "no releases managed by swarm-canary" : "no releases of track " + filter.name());
            return lines;
        }
        for (StatusReader.TrackStatus t : tracks) {
            lines.add("track " + t.track() + " (app " + t.app() + ", env " + t.env() + ")"
                    + (delivery != null ? ", edge " + edgeName + " (delivery " + delivery + ")" : ", no edge " + edgeName)
                    + (t.phase() == null ? "" : ": " + t.phase()));
            if (!t.match().isEmpty()) {
                lines.add("  A/B: requests with " + String.join(" AND ", t.match()) + " go to the canary " + t.canary());
            }
            if (t.mirrorPercent() > 0) {
                lines.add("  mirror: " + t.mirrorPercent() + "% of the weighted traffic copied to the canary " + t.canary()
                        + " (answers discarded, not counted by analyze)");
            }
            if (t.sticky() != null) {
                lines.add("  sticky: clients keep the release the weights chose (cookie " + t.sticky().cookie() + ", "
                        + t.sticky().ttlSeconds() + "s)");
            }
            lines.add(String.format("  %-32s %-12s %-7s %-9s %-9s %-8s %s", "RELEASE", "VERSION", "WEIGHT", "REPLICAS", "HEALTH",
                    "AGE", "SECRETS"));
            for (StatusReader.ReleaseStatus r : t.releases()) {
                lines.add(String.format("  %-32s %-12s %-7s %-9s %-9s %-8s %s", r.service(), r.version(),
                        r.weight() == null ? "-" : r.weight() + "%", r.running() + "/" + r.desired(), r.health(),
                        age(r.ageSeconds()), r.secrets().isEmpty() ? "-" : String.join(",", r.secrets())));
            }
        }
        return lines;
    }

    static String age(long seconds) {
        if (seconds < 120) return seconds + "s";
        if (seconds < 7200) return seconds / 60 + "m";
        if (seconds < 172800) return seconds / 3600 + "h";
        return seconds / 86400 + "d";
    }
}
