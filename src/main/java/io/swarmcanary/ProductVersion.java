package io.swarmcanary;

/** This build's version, from the jar's manifest (the pom's version); "dev" when run from classes. */
public final class ProductVersion {
    private ProductVersion() {}

    public static String current() {
        String v = ProductVersion.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /**
     * The control plane's default image: this very version of the product image, under the project's own registry
     * namespace. Fully qualified because the service mounts docker.sock: an unqualified name is pulled from Docker Hub's
     * namespace of that name by any node that lacks it (Swarm tries a pull before every task).
     */
    public static String controlPlaneImage() {
        return "ghcr.io/swarm-canary/cli:" + current();
    }
}
