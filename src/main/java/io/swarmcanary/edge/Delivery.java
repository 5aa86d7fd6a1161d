package io.swarmcanary.edge;

/** How an edge's config reaches its Envoys, and how to see that every Envoy has it. */
sealed interface Delivery permits RedeployDelivery, XdsDelivery {
    /**
     * What a delivery sees of the live Envoys: in words, whether they serve the wanted revision, and why they
     * rejected it (null unless they did).
     */
    record Look(String seen, boolean served, String rejection) {}

    /** What the live Envoys show of this revision, with {@code running} Envoy tasks. */
    Look look(EdgeSettings settings, String revision, long running);

    /** How often a wait for the live Envoys asks again. */
    long pollMillis();

    /** Whether every Envoy has the edge's revision, as this delivery can tell. */
    EdgeManager.DeliveryStatus status(EdgeManager.EdgeState state, long envoys);
}
