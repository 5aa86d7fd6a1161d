package io.swarmcanary.prune;

import io.swarmcanary.release.Labels;
import java.time.Instant;
import java.util.List;

/**
 * What a prune would remove and what it keeps, each with the reason, computed from one read of the cluster.
 *
 * @param images          image references of the releases this plan removes that no remaining service uses
 * @param containerTracks tracks whose stopped release containers the node clean-up prunes
 */
public record PrunePlan(Instant at, PrunePolicy policy, List<Item> remove, List<Item> keep, List<String> images,
                        List<String> containerTracks) {
    public PrunePlan {
        remove = List.copyOf(remove);
        keep = List.copyOf(keep);
        images = List.copyOf(images);
        containerTracks = List.copyOf(containerTracks);
    }

    /** Kinds, in the order they are removed: releases first, so their secrets are free afterwards. */
    public static final String RELEASE = Labels.Kind.RELEASE;
    public static final String SECRET = Labels.Kind.SECRET;
    public static final String CONFIG = Labels.Kind.CONFIG;
    public static final String ENVOY_CONFIG = Labels.Kind.ENVOY_CONFIG;
    public static final String ENVOY_TEMPLATE = Labels.Kind.ENVOY_TEMPLATE;

    /**
     * One object: a release (service), secret or config.
     *
     * @param track null for objects of no track (the edge's configs)
     * @param bytes its size where Docker tells it (configs), else null
     */
    public record Item(String kind, String name, String id, String track, String reason, Long bytes) {}

    public boolean removes(Item item) {
        return remove.stream().anyMatch(i -> i.kind().equals(item.kind()) && i.id().equals(item.id()));
    }

    public java.util.Optional<Item> kept(Item item) {
        return keep.stream().filter(i -> i.kind().equals(item.kind()) && i.id().equals(item.id())).findFirst();
    }

    public long bytes() {
        return remove.stream().mapToLong(i -> i.bytes() == null ? 0 : i.bytes()).sum();
    }
}
