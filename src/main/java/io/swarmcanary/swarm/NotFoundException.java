package io.swarmcanary.swarm;

/** The object asked for (by name or ID) does not exist: the engine answered 404. */
public class NotFoundException extends DockerApiException {
    public NotFoundException(String message) {
        this(message, null);
    }

    NotFoundException(String message, Throwable cause) {
        super(404, message, cause);
    }
}
