package io.swarmcanary.swarm;

import java.util.List;
import java.util.Map;

/**
 * A one-shot task on every node (Swarm mode {@code global-job}, Engine API 1.41); docker-java's model has no job modes.
 *
 * @param env     may hold Swarm templates such as {@code {{.Node.Hostname}}}
 * @param binds   host path to container path, e.g. the Docker socket
 */
public record GlobalJob(String name, String image, List<String> command, List<String> env, Map<String, String> binds,
                        Map<String, String> labels) {
    public GlobalJob {
        command = List.copyOf(command);
        env = List.copyOf(env);
        binds = Map.copyOf(binds);
        labels = Map.copyOf(labels);
    }
}
