package io.swarmcanary.swarm;

/** A secret mounted into a container at a stable target under /run/secrets, owned by uid:gid with this mode. */
public record SecretMount(String secretId, String secretName, String target, String uid, String gid, long mode) {
    /** What Docker does when a stack file says nothing: root-owned, world-readable. */
    public static final long DEFAULT_MODE = 0444;

    public SecretMount(String secretId, String secretName, String target) {
        this(secretId, secretName, target, "0", "0", DEFAULT_MODE);
    }

    public boolean defaultFile() {
        return "0".equals(uid) && "0".equals(gid) && mode == DEFAULT_MODE;
    }
}
