package io.swarmcanary.release;

import java.util.List;

/** What a deploy did. Holds names only, never secret values. */
public record DeployResult(
        String service,
        String track,
        String version,
        Outcome outcome,
        List<String> secretsCreated,
        List<String> secretsReused,
        String defaultRouteNetwork,
        List<String> warnings,
        long seconds) {

    public enum Outcome { CREATED, UNCHANGED }
}
