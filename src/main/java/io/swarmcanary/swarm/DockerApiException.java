package io.swarmcanary.swarm;

/** The Engine API said no; carries its HTTP status so callers can tell a conflict from a failure. */
public class DockerApiException extends RuntimeException {
    private final int status;

    public DockerApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
