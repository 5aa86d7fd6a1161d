package io.swarmcanary.swarm;

/**
 * A platform an image runs on, as the docker CLI writes it into {@code TaskTemplate.Placement.Platforms} so Swarm
 * schedules tasks only on nodes that can run the image. Null means "any" (the field is left out).
 */
public record Platform(String architecture, String os) {
    public Platform {
        architecture = architecture == null || architecture.isEmpty() ? null : architecture;
        os = os == null || os.isEmpty() ? null : os;
    }
}
