package io.swarmcanary.swarm;

/** One Swarm task: its observed state, the state Swarm wants, and why it failed if it did. */
public record TaskInfo(
        String id,
        int slot,
        String nodeId,
        String state,
        String desiredState,
        String message,
        String error,
        String containerId,
        String timestamp) {

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

    /** Pending because no node satisfies the placement (constraints, resources, a missing network or plugin). */
    public boolean unschedulable() {
        return "pending".equals(state) && error != null && error.contains("no suitable node");
    }

    public boolean wanted() {
        return "running".equals(desiredState);
    }
}
