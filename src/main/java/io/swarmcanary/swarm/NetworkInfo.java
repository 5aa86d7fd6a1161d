package io.swarmcanary.swarm;

/** A Docker network as far as routing decisions care. */
public record NetworkInfo(String id, String name, String driver, String scope, boolean internal) {
    /** Overlay networks give no default gateway: a task on overlays only routes out through docker_gwbridge. */
    public boolean providesGateway() {
        return !internal && !"overlay".equals(driver);
    }
}
