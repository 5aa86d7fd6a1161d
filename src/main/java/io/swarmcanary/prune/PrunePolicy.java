package io.swarmcanary.prune;

import io.swarmcanary.UserInputException;
import io.swarmcanary.release.Track;
import java.time.Duration;

/**
 * What prune may remove, as the user asked for it.
 *
 * @param keep       per track, how many releases to keep besides those with traffic, the stable, the canary and the rollback target
 * @param olderThan  grace period: secrets, configs, stopped containers and labelled images younger than this stay
 *                   (a deploy creates its secrets before its service)
 * @param app        only the tracks of this app (with env: one track), or null for all
 * @param env        only the tracks of this environment, or null for all
 * @param edge       only the tracks routed by this edge and its Envoy configs, or null for all
 * @param images     also clean every node: images of the releases this run removes, stopped containers of releases
 * @param imageLabel with images: also unused images carrying this label ({@code KEY} or {@code KEY=VALUE}), or null
 */
public record PrunePolicy(int keep, Duration olderThan, String app, String env, String edge, boolean images, String imageLabel) {
    public PrunePolicy {
        if (keep < 0) {
            throw new UserInputException("--keep must be 0 or more (releases to keep per track besides the stable, the canary,"
                    + " the rollback target and any with traffic), got " + keep + ". Nothing was removed.");
        }
        if (olderThan == null || olderThan.isNegative()) {
            throw new UserInputException("--older-than must be a duration such as 24h, 90m or 0s. Nothing was removed.");
        }
        if (imageLabel != null && !imageLabel.matches("[A-Za-z0-9][A-Za-z0-9._/-]*(=[A-Za-z0-9._/:@-]*)?")) {
            throw new UserInputException("--image-label must be KEY or KEY=VALUE (letters, digits, '.', '_', '/', '-'), got '"
                    + io.swarmcanary.release.Names.printable(imageLabel) + "'. Nothing was removed.");
        }
        if (imageLabel != null && !images) {
            throw new UserInputException("--image-label only works with --images. Nothing was removed.");
        }
    }

    /** Whether a track of this app and env is in the scope the user asked for. */
    public boolean covers(String trackApp, String trackEnv) {
        return (app == null || app.equals(trackApp)) && (env == null || env.equals(trackEnv));
    }

    /** Only some tracks: the edge's own configs are then out of scope. */
    public boolean narrowedToTracks() {
        return app != null || env != null;
    }

    /** e.g. "track files-webdev", "app files", "env webdev", or null for everything. */
    public String describeScope() {
        if (app != null && env != null) {
            return "track " + new Track(app, env).name();
        }
        return app != null ? "app " + app : env != null ? "env " + env : null;
    }

    /** The grace period as Docker's prune filters take it, e.g. {@code until=86400s}. */
    public String until() {
        return olderThan.toSeconds() + "s";
    }
}
