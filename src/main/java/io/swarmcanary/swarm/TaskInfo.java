package io.swarmcanary.swarm;

import java.util.List;
import java.util.Map;

/**
 * One Swarm task: its observed state, the state Swarm wants, and why it failed if it did.
 *
 * @param addresses          the task's IP addresses on its networks (no prefix length): how a peer it connects from is known
 * @param networkAddresses   the same addresses by network name: where another service on one of them reaches it
 */
public record TaskInfo(
        String id,
        int slot,
        String nodeId,
        String state,
        String desiredState,
        String message,
        String error,
        String containerId,
        String timestamp,
        List<String> addresses,
        Map<String, List<String>> networkAddresses) {

    public TaskInfo {
        addresses = addresses == null ? List.of() : List.copyOf(addresses);
        networkAddresses = networkAddresses == null ? Map.of() : Map.copyOf(networkAddresses);
    }

    /** A task whose networks are not known. */
    public TaskInfo(String id, int slot, String nodeId, String state, String desiredState, String message, String error,
                    String containerId, String timestamp, List<String> addresses) {
        this(id, slot, nodeId, state, desiredState, message, error, containerId, timestamp, addresses, Map.of());
    }

    /** A task whose addresses are not known. */
    public TaskInfo(String id, int slot, String nodeId, String state, String desiredState, String message, String error,
                    String containerId, String timestamp) {
        this(id, slot, nodeId, state, desiredState, message, error, containerId, timestamp, List.of());
    }

    public boolean running() {
        return "running".equals(state);
    }

    /** Terminal failure states: the task will not come back, Swarm may start a replacement. */
    public boolean failed() {
        return switch (state) {
            case "failed", "rejected", "orphaned" -> true;
            default -> false;
        };
    }

    /** The node has no such image and cannot pull it: retrying cannot fix that. */
    public boolean imageMissing() {
        return error != null && error.contains("No such image");
    }

    /** Stopped by Swarm because its health check kept failing. */
    public boolean unhealthy() {
        return error != null && error.contains("unhealthy container");
    }

    /** Pending because no node satisfies the placement (constraints, resources, a missing network or plugin). */
    public boolean unschedulable() {
        return "pending".equals(state) && error != null && error.contains("no suitable node");
    }

    public boolean wanted() {
        return "running".equals(desiredState);
    }
}
