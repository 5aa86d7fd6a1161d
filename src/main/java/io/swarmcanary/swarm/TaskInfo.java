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

    public boolean wanted() {
        return "running".equals(desiredState);
    }
}
