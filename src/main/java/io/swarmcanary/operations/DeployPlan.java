package io.swarmcanary.operations;

import io.swarmcanary.release.Deployer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A deploy not applied: the release as it would be created and what the edge would do with it. Names only, never a
 * secret's value.
 *
 * @param outcome        create, or unchanged when the release runs already with this definition
 * @param image          as the service would run it (pinned to its registry digest when the registry has it)
 * @param secrets        each secret's content-addressed name (null while the cluster has no naming key: the deploy makes
 *                       one) and whether the deploy would create it
 * @param weights        the track's weights by version once the release runs
 * @param replacedCanary releases the deploy would remove (a canary replaced with --replace-canary)
 */
public record DeployPlan(String service, String track, String version, String edge, boolean dryRun, String outcome,
                         String image, int replicas, List<String> networks, List<Deployer.Plan.Mounted> secrets,
                         List<Deployer.Plan.Mounted> configs, String defaultRouteNetwork, String routing,
                         Map<String, Integer> weights, List<String> replacedCanary, List<String> warnings) {
    public List<String> text() {
        List<String> lines = new ArrayList<>();
        lines.add("dry run: " + ("unchanged".equals(outcome) ? service + " already runs with this definition"
                : "would create " + service + " (" + replicas + " replica" + (replicas == 1 ? "" : "s") + ", image " + image + ")"));
        for (Deployer.Plan.Mounted s : secrets) {
            lines.add("  secret " + s.name() + ": " + (s.object() == null ? "a new name" : s.object()) + " at " + s.target()
                    + (s.create() ? " (would create)" : " (exists)"));
        }
        for (Deployer.Plan.Mounted c : configs) {
            lines.add("  config " + c.name() + ": " + c.object() + " at " + c.target() + (c.create() ? " (would create)" : " (exists)"));
        }
        if (!networks.isEmpty()) {
            lines.add("  networks:        " + String.join(", ", networks) + (defaultRouteNetwork == null ? ""
                    : " (default route: " + defaultRouteNetwork + ")"));
        }
        warnings.forEach(w -> lines.add("  warning: " + w));
        replacedCanary.forEach(r -> lines.add("  would replace canary: " + r + " (removed)"));
        lines.add("  routing:         " + routing);
        lines.add("  nothing was changed");
        return lines;
    }
}
