package io.swarmcanary.release;

import io.swarmcanary.UserInputException;
import io.swarmcanary.swarm.ImageLookup;
import io.swarmcanary.swarm.Platform;
import io.swarmcanary.swarm.RegistryCredentials;
import io.swarmcanary.swarm.SwarmGateway;
import java.util.List;

/**
 * Checks an image before anything is created, the way {@code docker service create} resolves it: the image's
 * registry is asked (through the engine, with this process's login) for its manifest digest.
 *
 * <ul>
 *   <li>in the registry: the reference pinned to the digest ({@code name:tag@sha256:...}), so every node runs the same bytes,
 *       and the platforms the registry lists, so only nodes that can run it get its tasks;</li>
 *   <li>the registry refused the login that was sent, or needs one and none was found: exit 2 naming the registry
 *       (the nodes could not pull either);</li>
 *   <li>in no registry (not found, or the registry unreachable) but on the node we talk to: the reference as given,
 *       no digest. That is the one-node bed's case (images {@code docker import}ed, no registry): a local image ID
 *       would pin the bytes too, but no other node could ever run it, and the tag keeps the spec as it always was
 *       (no platforms either, as {@code docker service create} writes none without a registry's answer);</li>
 *   <li>nowhere: exit 2, unless the caller does not require the image ({@code --no-image-check}): then the tag as
 *       given, with a warning, and each node pulls it itself.</li>
 * </ul>
 */
public final class ImageResolver {
    private ImageResolver() {}

    /**
     * For an image that will get docker.sock: a warning when its name gives no registry host, because a node that lacks
     * it pulls it from Docker Hub's namespace of that name (Swarm tries a pull before every task); empty when qualified.
     */
    public static java.util.Optional<String> unqualifiedWarning(String image, String what) {
        return RegistryCredentials.namesRegistry(image) ? java.util.Optional.empty() : java.util.Optional.of("warning: " + what + " '" + image + "' names no"
                + " registry: a node that lacks it pulls docker.io/" + (image.contains("/") ? image : "library/" + image)
                + ", and it gets docker.sock; name its registry (e.g. registry.example.com/" + image + ")");
    }

    /** The reference for the service spec and the platforms for its placement (empty: any node). */
    public record Resolved(String reference, List<Platform> platforms) {
        public Resolved {
            platforms = List.copyOf(platforms);
        }

        static Resolved asGiven(String image) {
            return new Resolved(image, List.of());
        }
    }

    /**
     * @param requireImage false for --no-image-check: an image found nowhere is a warning, not an error
     * @param pin          whether to return the digest-pinned reference and platforms (deploy) or the image as given (edge, prune)
     * @param what         the image's role in messages ("image", "control plane image", "--prune-image")
     * @param nothingDone  the end of an error message: "Nothing was created." / "Nothing was changed." / ...
     * @return the reference to put in the service spec
     */
    public static Resolved resolve(SwarmGateway swarm, String image, boolean requireImage, boolean pin, String what,
                                 String nothingDone, Progress progress) {
        ImageLookup lookup = swarm.lookUpImage(image);
        String registry = lookup.registry();
        switch (lookup.result()) {
            case FOUND:
                return pin ? new Resolved(ImageLookup.pinned(image, lookup.digest()), lookup.platforms()) : Resolved.asGiven(image);
            case DENIED:
                if (lookup.credentialsSent()) {
                    throw new UserInputException("registry " + registry + " refused the login for " + what + " '" + image
                            + "' (wrong user name or password, or no access to the repository): " + lookup.detail()
                            + ". Fix the login for " + registry + " (" + loginHint(registry) + "). " + nothingDone);
                }
                // Docker Hub answers "denied" for a repository it does not have: an image made on the node
                // (no registry host in its name) is still usable there
                if (RegistryCredentials.HUB.equals(registry) && swarm.imageExists(image)) {
                    return Resolved.asGiven(image);
                }
                if (!requireImage) {
                    progress.info("warning: registry " + registry + " needs a login for " + what + " '" + image
                            + "' and none was found (" + lookup.detail() + "); nodes without the image cannot pull it");
                    return Resolved.asGiven(image);
                }
                throw new UserInputException("registry " + registry + " needs a login for " + what + " '" + image
                        + "' and none was found (" + loginHint(registry) + "): " + lookup.detail() + ". " + nothingDone);
            default:
                if (swarm.imageExists(image)) {
                    return Resolved.asGiven(image); // on the node, no registry has it: keep the reference as given (see above)
                }
                if (!requireImage) {
                    progress.info("warning: " + what + " '" + image + "' could not be resolved in registry "
                            + registry + " (" + lookup.detail() + ") and does not exist on node " + swarm.nodeName()
                            + "; each node pulls it itself");
                    return Resolved.asGiven(image);
                }
                throw new UserInputException(what + " '" + image + "' does not exist on node " + swarm.nodeName()
                        + " nor in registry " + registry + " (" + lookup.detail() + "); push or build it first (or pass"
                        + " --no-image-check if your nodes pull it from elsewhere). " + nothingDone);
        }
    }

    static String loginHint(String registry) {
        return "docker login " + (RegistryCredentials.HUB.equals(registry) ? "" : registry + " ")
                + "into DOCKER_CONFIG or ~/.docker/config.json, or " + RegistryCredentials.ENV_REGISTRY + "=" + registry + " with "
                + RegistryCredentials.ENV_USER + " and " + RegistryCredentials.ENV_PASSWORD;
    }
}
