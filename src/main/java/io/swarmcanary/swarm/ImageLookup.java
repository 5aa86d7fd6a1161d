package io.swarmcanary.swarm;

import java.util.List;

/**
 * What the engine's registry client said about an image ({@code GET /distribution/{name}/json}, sent with this
 * process's login for the image's registry, if any).
 *
 * @param registry          the image's registry host ("docker.io" when the name has none)
 * @param digest            the manifest digest when {@link Result#FOUND}
 * @param platforms         the platforms the registry's manifest lists when {@link Result#FOUND} (possibly none)
 * @param detail            the engine's message otherwise (it never holds the login)
 * @param credentialsSent   whether a login for {@code registry} went with the request
 */
public record ImageLookup(Result result, String registry, String digest, List<Platform> platforms, String detail,
                          boolean credentialsSent) {
    public enum Result {
        /** the registry has it: {@link #digest()} is its manifest digest */
        FOUND,
        /** the registry refused the login, or asked for one and none was sent */
        DENIED,
        /** the registry answered, and has no such image */
        NOT_FOUND,
        /** no answer from the registry (no route, no DNS, TLS, timeout) */
        UNREACHABLE
    }

    public ImageLookup {
        platforms = platforms == null ? List.of() : List.copyOf(platforms);
    }

    /** Without platforms: every answer but {@link Result#FOUND}, and a registry whose manifest lists none. */
    public ImageLookup(Result result, String registry, String digest, String detail, boolean credentialsSent) {
        this(result, registry, digest, List.of(), detail, credentialsSent);
    }

    /** For gateways that cannot ask a registry: the image is then only looked for on the node. */
    public static ImageLookup unavailable(String image) {
        return new ImageLookup(Result.UNREACHABLE, RegistryCredentials.registryOf(image), null, "no registry lookup", false);
    }

    /** The reference with the digest pinned, as {@code docker service create} writes it: name:tag@sha256:... */
    public static String pinned(String image, String digest) {
        int at = image.indexOf('@');
        return (at >= 0 ? image.substring(0, at) : image) + "@" + digest;
    }
}
