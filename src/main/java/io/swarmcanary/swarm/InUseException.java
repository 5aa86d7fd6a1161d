package io.swarmcanary.swarm;

/** The engine refused to remove a secret or config that a service or a still-stopping task uses. */
public class InUseException extends DockerApiException {
    public InUseException(String message) {
        this(400, message, null);
    }

    InUseException(int status, String message, Throwable cause) {
        super(status, message, cause);
    }
}
