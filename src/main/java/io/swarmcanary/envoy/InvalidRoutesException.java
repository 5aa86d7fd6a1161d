package io.swarmcanary.envoy;

/** The route table cannot become an Envoy config; the message names the bad value. Nothing was rendered. */
public class InvalidRoutesException extends io.swarmcanary.UserInputException {
    public InvalidRoutesException(String message) {
        super(message);
    }
}
